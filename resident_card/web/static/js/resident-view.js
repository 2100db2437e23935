// How a resident is shown, on the wallet and at the clerk's desk alike: status, history, address.

import { language, setDate, setText, t } from "./i18n.js";

export const STATUSES = ["pending", "verified", "rejected", "suspended", "moved_out"];

// The changes a clerk may make from each status (the residents API has the last word).
export const NEXT_STATUSES = {
  pending: ["verified", "rejected"],
  verified: ["suspended", "moved_out"],
  suspended: ["verified", "moved_out"],
  moved_out: [],
  rejected: [],
};

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
    if (!entry.from_status && entry.to_status === "pending") {
      setText(what, "history.enrolled");
    } else {
      setText(what, statusKey(entry.to_status), { status: entry.to_status });
    }
    item.append(when, what);
    // The first entry's reason is the system's own word for how the record began, not a clerk's.
    if (entry.reason && entry.from_status) {
      const why = document.createElement("span");
      why.className = "why";
      const reason = document.createElement("bdi"); // a clerk's words, in whatever language
      reason.textContent = entry.reason;
      why.append(setText(document.createElement("span"), "history.reason"), " ", reason);
      item.append(why);
    }
    list.append(item);
  }
}

/** The kind of identifier and its masked last characters (never the whole number). */
export function identifierText(identifier) {
  if (!identifier) return "";
  return [t(`identifier.${identifier.kind}`), identifier.masked].filter(Boolean).join(": ");
}

function named(names) {
  if (!names) return "";
  if (typeof names === "string") return names;
  return names[language()] || names.he || names.en || "";
}

/** An address in the page's language: street, house number, apartment, neighbourhood. */
export function addressText(address) {
  if (!address) return "";
  let text = [named(address.street), address.house_number].filter(Boolean).join(" ");
  if (address.apartment) text += ` / ${address.apartment}`;
  if (address.neighbourhood) text += `, ${named(address.neighbourhood.names)}`;
  return text;
}

/** A term with its value, for a <dl>. */
export function detail(list, key, value, { date = false } = {}) {
  if (value === undefined || value === null || value === "") return;
  const term = setText(document.createElement("dt"), key);
  const description = document.createElement("dd");
  if (date) setDate(description, value);
  else {
    // Isolated, so an email or a phone number reads left to right inside Hebrew and Arabic.
    const isolated = document.createElement("bdi");
    isolated.textContent = value;
    description.append(isolated);
  }
  list.append(term, description);
}
