// Money as people type and read it: shekels on the page, agorot (whole numbers) in the API.

/** Shekels as typed (120, 120.5, 120,50) in agorot; null when it is not an amount. */
export function toAgorot(text) {
  const match = /^(\d{1,7})(?:[.,](\d{1,2}))?$/.exec(String(text).trim());
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0"));
}

/** Agorot as people read them: ₪1,234.50 (Western digits in all three languages). */
export function shekels(agorot) {
  const whole = Math.floor(Math.abs(agorot) / 100).toLocaleString("en-US");
  const rest = String(Math.abs(agorot) % 100).padStart(2, "0");
  return `${agorot < 0 ? "-" : ""}₪${whole}.${rest}`;
}
