// How a resident is shown, on the wallet and at the clerk's desk alike: status, history, address.

import { language, setDate, setText } from "./i18n.js";
import { streetName } from "./street-picker.js";

export const STATUSES = ["pending", "verified", "rejected", "suspended"];

export function statusKey(status) {
  return STATUSES.includes(status) ? `status.${status}` : "status.unknown";
}

/** The status badge: its words and its colour. */
export function showStatus(badge, status) {
  badge.dataset.status = status;
  setText(badge, statusKey(status), { status });
}

export function fullName(person) {
  return [person.first_name, person.last_name].filter(Boolean).join(" ");
}

/** The status history as a timeline, oldest first: when, what, and the clerk's reason. */
export function showHistory(list, history) {
  list.replaceChildren();
  const entries = [...(history || [])].sort((a, b) => String(a.at).localeCompare(String(b.at)));
  for (const entry of entries) {
    const item = document.createElement("li");
    const when = document.createElement("time");
    when.className = "when";
    setDate(when, entry.at, { withTime: true });
    const what = document.createElement("span");
    what.className = "what";
    if (entry.from_status) {
      setText(what, statusKey(entry.to_status), { status: entry.to_status });
    } else {
      setText(what, "history.enrolled");
    }
    item.append(when, what);
    if (entry.reason) {
      const why = document.createElement("span");
      why.className = "why";
      const label = setText(document.createElement("span"), "history.reason");
      const reason = document.createElement("q");
      reason.textContent = entry.reason;
      why.append(label, " ", reason);
      item.append(why);
    }
    list.append(item);
  }
}

/** An address in the page's language: street, house number, apartment. */
export function addressText(address) {
  if (!address) return "";
  const street = address.street
    ? typeof address.street === "string"
      ? address.street
      : streetName(address.street, language())
    : address.street_name || "";
  const parts = [street, address.house_number].filter(Boolean).join(" ");
  return address.apartment ? `${parts} / ${address.apartment}` : parts;
}

/** A term with its value, for a <dl>. */
export function detail(list, key, value, { date = false } = {}) {
  if (value === undefined || value === null || value === "") return;
  const term = setText(document.createElement("dt"), key);
  const description = document.createElement("dd");
  if (date) setDate(description, value);
  else description.textContent = value;
  list.append(term, description);
}
