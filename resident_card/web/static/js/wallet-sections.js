// The wallet's places that other parts of Toshav fill: the card, benefits and balances.
// Each <section data-source="…"> shows only when its API answers 200; its renderer draws the answer
// into the section's .slot. Later work replaces a renderer with a richer one.

import { language, setDate, setText, t } from "./i18n.js";

function textIn(value) {
  if (value && typeof value === "object") return value[language()] || value.he || value.en || "";
  return value === undefined || value === null ? "" : String(value);
}

function itemsOf(data) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data.items)) return data.items;
  return [];
}

const UNITS = {
  ILS: (amount) =>
    new Intl.NumberFormat(language() === "ar" ? "ar-IL-u-nu-latn" : language(), {
      style: "currency",
      currency: "ILS",
    }).format(amount / 100),
  PARKING_MIN: (amount) => amount,
};

export const renderers = {
  card(slot, data) {
    const list = document.createElement("dl");
    list.className = "details";
    if (data.qr_png || data.qr) {
      const image = document.createElement("img");
      image.src = data.qr_png || data.qr;
      image.dataset.i18nAlt = "card.qr_alt";
      image.alt = t("card.qr_alt");
      slot.append(image);
    }
    for (const [key, value] of [
      ["card.number", data.number],
      ["card.status", data.status],
    ]) {
      if (!value) continue;
      list.append(setText(document.createElement("dt"), key), Object.assign(document.createElement("dd"), { textContent: value }));
    }
    if (data.valid_until) {
      const when = document.createElement("dd");
      setDate(when, data.valid_until);
      list.append(setText(document.createElement("dt"), "card.valid_until"), when);
    }
    slot.append(list);
  },

  benefits(slot, data) {
    const list = document.createElement("ul");
    list.className = "people";
    for (const benefit of itemsOf(data)) {
      const item = document.createElement("li");
      item.textContent = textIn(benefit.name || benefit.programme || benefit.title);
      list.append(item);
    }
    slot.append(list);
  },

  balances(slot, data) {
    const list = document.createElement("dl");
    list.className = "details";
    for (const account of itemsOf(data)) {
      const format = UNITS[account.unit];
      const amount = account.balance ?? account.amount;
      if (!format || typeof amount !== "number") continue;
      const term = document.createElement("dt");
      term.textContent = textIn(account.name || account.kind);
      const value = document.createElement("dd");
      if (account.unit === "PARKING_MIN") setText(value, "balance.minutes", { minutes: format(amount) });
      else value.textContent = format(amount);
      list.append(term, value);
    }
    slot.append(list);
  },
};
