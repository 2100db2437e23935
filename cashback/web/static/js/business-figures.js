// What the scheme did for my business, for its owner and staff: by city month over the last
// twelve, its purchases, sales and cashback (after refunds), residents and those who came back,
// beside every business of its category in its neighbourhood (a month of too few residents or
// businesses is hidden, with the reason).

import { call } from "./api.js";
import { formatMonth, onLanguageChange, setText, t } from "./i18n.js";
import { announceDetail, goSignIn } from "./page.js";
import { shekels } from "./money.js";

const $ = (id) => document.getElementById(id);
const COLUMNS = ["purchases", "sales_agorot", "cashback_agorot", "residents", "returning_residents"];
const MONEY = new Set(["sales_agorot", "cashback_agorot"]);
let figures = null;
let started = false;

function cell(tag, text, attributes = {}) {
  const element = document.createElement(tag);
  element.textContent = text;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

function value(column, amount) {
  return MONEY.has(column) ? shekels(amount) : new Intl.NumberFormat(document.documentElement.lang).format(amount);
}

function fill(table, months) {
  const head = document.createElement("thead");
  const titles = document.createElement("tr");
  titles.append(cell("th", t("business_figures.month"), { scope: "col" }));
  for (const column of COLUMNS) titles.append(cell("th", t(`business_figures.${column}`), { scope: "col" }));
  head.append(titles);
  const body = document.createElement("tbody");
  for (const month of months) {
    const row = document.createElement("tr");
    row.append(cell("th", formatMonth(month.month), { scope: "row" }));
    if (month.hidden_because) {
      const hidden = cell("td", t(`business_figures.hidden.${month.hidden_because}`), { colspan: String(COLUMNS.length) });
      hidden.className = "figures-hidden";
      row.append(hidden);
    } else {
      for (const column of COLUMNS) row.append(cell("td", value(column, month[column])));
    }
    body.append(row);
  }
  table.replaceChildren(head, body);
}

function draw() {
  if (!figures) return;
  fill($("figures-own"), figures.months);
  const category = figures.category;
  setText($("figures-category-heading"), "business_figures.category", {
    category: category.category.name,
    neighbourhood: category.neighbourhood.name,
    count: category.businesses,
  });
  // Fewer than three businesses in the scheme: every month is hidden, said once instead.
  const none = category.businesses < 3;
  $("figures-category-none").hidden = !none;
  $("figures-category-box").hidden = none;
  fill($("figures-category"), category.months);
}

async function load(business) {
  const answer = await call(`/cashback/merchants/${encodeURIComponent(business.id)}/figures`);
  if (answer.status === 401) return goSignIn();
  if (!answer.ok) return announceDetail($("figures-status"), answer.data.detail);
  figures = answer.data;
  draw();
  $("figures").hidden = false;
}

/** Show the figures of this business (one the city approved: a business waiting has none). */
export async function startFigures(business) {
  if (!["approved", "suspended"].includes(business.status)) return;
  if (!started) {
    started = true;
    onLanguageChange(() => load(business)); // the category's and neighbourhood's names too
  }
  await load(business);
}
