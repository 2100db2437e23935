// The three languages of every text: Hebrew (default), Arabic, English.
// The server sends each page already in the visitor's language; this module keeps the choice
// (localStorage, mirrored to a cookie for the server), and switches every text in place.

export const LANGUAGES = ["he", "ar", "en"];
const RIGHT_TO_LEFT = new Set(["he", "ar"]);
const STORE_KEY = "toshav.lang";
const COOKIE = "toshav_lang";
const ATTRIBUTES = ["aria-label", "placeholder", "title", "alt", "content"];
// Arabic in Israel is written with Western digits; dates and numbers follow that.
const LOCALES = { he: "he-IL", ar: "ar-IL-u-nu-latn", en: "en-GB" };
const TIME_ZONE = "Asia/Jerusalem";

let current = document.documentElement.lang;
let texts = {};
const listeners = [];
const loaded = new Map();

function stored() {
  try {
    return localStorage.getItem(STORE_KEY);
  } catch {
    return null; // storage can be off (private mode); the page still works
  }
}

/** The language to show: the visitor's choice, else the browser's, else Hebrew. */
export function chosenLanguage() {
  const choice = stored();
  if (LANGUAGES.includes(choice)) return choice;
  for (const tag of navigator.languages || [navigator.language || ""]) {
    let primary = String(tag).toLowerCase().split("-")[0];
    if (primary === "iw") primary = "he";
    if (LANGUAGES.includes(primary)) return primary;
  }
  return "he";
}

function syncCookie() {
  const choice = stored();
  document.cookie = LANGUAGES.includes(choice)
    ? `${COOKIE}=${choice}; path=/; max-age=31536000; SameSite=Lax`
    : `${COOKIE}=; path=/; max-age=0; SameSite=Lax`;
}

async function dictionary(language) {
  if (!loaded.has(language)) {
    loaded.set(
      language,
      fetch(`/static/i18n/${language}.json`, { headers: { Accept: "application/json" } }).then(
        (response) => {
          if (!response.ok) throw new Error(`dictionary ${language}: ${response.status}`);
          return response.json();
        },
      ),
    );
  }
  return loaded.get(language);
}

export function language() {
  return current;
}

export function direction(lang = current) {
  return RIGHT_TO_LEFT.has(lang) ? "rtl" : "ltr";
}

/**
 * One text in the current language, with its {placeholders} filled. A text that counts ({count})
 * may have forms by the language's plural rules ("key.one", "key.two", "key.few"); "key" is the rest.
 */
export function t(key, params = {}) {
  const form = typeof params.count === "number" ? `${key}.${new Intl.PluralRules(LOCALES[current]).select(params.count)}` : null;
  const chosen = form && Object.hasOwn(texts, form) ? form : key;
  const template = Object.hasOwn(texts, chosen) ? texts[chosen] : key;
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

/** Give an element a text by key; it follows later language switches by itself. */
export function setText(element, key, params) {
  element.dataset.i18n = key;
  if (params) element.dataset.i18nParams = JSON.stringify(params);
  else delete element.dataset.i18nParams;
  element.textContent = t(key, params);
  return element;
}

/** A date (YYYY-MM-DD) or a moment (ISO timestamp) written for the current language. */
export function formatDate(value, { withTime = false } = {}) {
  if (!value) return "";
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const moment = new Date(dateOnly ? `${value}T12:00:00Z` : value);
  if (Number.isNaN(moment.getTime())) return String(value);
  const options = { day: "numeric", month: "long", year: "numeric", timeZone: dateOnly ? "UTC" : TIME_ZONE };
  if (withTime && !dateOnly) Object.assign(options, { hour: "2-digit", minute: "2-digit" });
  return new Intl.DateTimeFormat(LOCALES[current], options).format(moment);
}

/** Agorot as shekels, as the current language writes money: "₪1,234.50" in English, "‏1,234.50 ₪" in Hebrew. */
export function formatShekels(agorot) {
  return new Intl.NumberFormat(LOCALES[current], { style: "currency", currency: "ILS", minimumFractionDigits: 2 }).format(agorot / 100);
}

/** The locale the current language writes numbers and dates in (Intl's tag: "he-IL"). */
export function locale() {
  return LOCALES[current];
}

/** A number as the current language writes it ("12,345"); options as Intl.NumberFormat's. */
export function formatNumber(value, options = {}) {
  return new Intl.NumberFormat(LOCALES[current], options).format(value);
}

/** A number of a unit ("hour", "minute") in words, by the language's plural rules: Arabic "ساعتان", Hebrew "שעתיים". */
function countOf(value, unit) {
  return new Intl.NumberFormat(LOCALES[current], { style: "unit", unit, unitDisplay: "long" }).format(value);
}

/** Minutes as hours and minutes in words: "2 hours", "1 hour 30 minutes", "ساعة و30 دقيقة". */
export function formatMinutes(total) {
  const hours = Math.floor(total / 60);
  const minutes = total % 60;
  if (!hours) return countOf(minutes, "minute");
  if (!minutes) return countOf(hours, "hour");
  return t("amount.hours_and_minutes", { hours: countOf(hours, "hour"), minutes: countOf(minutes, "minute") });
}

/** A month (YYYY-MM) as the language names it: "דצמבר 2026", "December 2026". */
export function formatMonth(value) {
  if (!/^\d{4}-\d{2}$/.test(value || "")) return String(value || "");
  const moment = new Date(`${value}-15T12:00:00Z`);
  return new Intl.DateTimeFormat(LOCALES[current], { month: "long", year: "numeric", timeZone: "UTC" }).format(moment);
}

/** A clock time (hours and minutes) in the city, for the current language. */
export function formatTime(moment) {
  return new Intl.DateTimeFormat(LOCALES[current], { hour: "2-digit", minute: "2-digit", timeZone: TIME_ZONE }).format(moment);
}

/** Mark an element as showing a date; it is rewritten when the language changes. */
export function setDate(element, value, { withTime = false } = {}) {
  element.dataset.date = value;
  if (withTime) element.dataset.dateTime = "";
  element.textContent = formatDate(value, { withTime });
  if (element.tagName === "TIME") element.dateTime = value;
  return element;
}

/** Put every marked text of a part of the page in the current language. */
export function apply(root = document) {
  if (root === document) {
    document.documentElement.lang = current;
    document.documentElement.dir = direction();
  }
  for (const element of root.querySelectorAll("[data-i18n]")) {
    const params = element.dataset.i18nParams ? JSON.parse(element.dataset.i18nParams) : undefined;
    element.textContent = t(element.dataset.i18n, params);
  }
  for (const attribute of ATTRIBUTES) {
    for (const element of root.querySelectorAll(`[data-i18n-${attribute}]`)) {
      element.setAttribute(attribute, t(element.getAttribute(`data-i18n-${attribute}`)));
    }
  }
  for (const element of root.querySelectorAll("[data-date]")) {
    element.textContent = formatDate(element.dataset.date, { withTime: "dateTime" in element.dataset });
  }
}

/** Call back after every switch of language (for what a page draws itself). */
export function onLanguageChange(callback) {
  listeners.push(callback);
}

/** Load the visitor's language; switch the page to it if the server sent another one. */
export async function init() {
  syncCookie();
  const wanted = chosenLanguage();
  texts = await dictionary(wanted);
  const differs = wanted !== current;
  current = wanted;
  if (differs) apply(document);
}

/** Switch to another language, and remember it. */
export async function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) return;
  try {
    localStorage.setItem(STORE_KEY, lang);
  } catch {
    // not remembered, but still switched
  }
  syncCookie();
  texts = await dictionary(lang);
  current = lang;
  apply(document);
  for (const callback of listeners) callback(lang);
}
