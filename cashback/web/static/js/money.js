// Money as people type and read it: shekels on the page, agorot (whole numbers) in the API.

import { formatShekels } from "./i18n.js";

/** Shekels as typed (120, 120.5, 120,50) in agorot; null when it is not an amount. */
export function toAgorot(text) {
  const match = /^(\d{1,7})(?:[.,](\d{1,2}))?$/.exec(String(text).trim());
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0"));
}

/** Agorot as people read them, one way per language on every page (i18n.js's formatShekels). */
export function shekels(agorot) {
  return formatShekels(agorot);
}
