// What every page does: its language, the language buttons, the account links, and its messages.

import { homeFor, offlineSince, signOut, tokens } from "./api.js";
import { formatDate, init, language, onLanguageChange, setLanguage, setText, t } from "./i18n.js";

function markLanguageButtons() {
  for (const button of document.querySelectorAll("button[data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === language()));
  }
}

function showAccount() {
  const signedIn = tokens.signedIn;
  const roles = tokens.roles;
  const staff = roles.includes("admin") || roles.includes("auditor");
  const inspector = roles.includes("inspector");
  const merchant = roles.includes("merchant") && !roles.includes("resident");
  document.getElementById("nav-signin").hidden = signedIn;
  document.getElementById("nav-signout").hidden = !signedIn;
  document.getElementById("nav-wallet").hidden = !signedIn || staff || inspector || merchant;
  document.getElementById("nav-clerk").hidden = !signedIn || !staff;
  document.getElementById("nav-inspect").hidden = !signedIn || !inspector;
  document.getElementById("nav-till").hidden = !signedIn || !roles.includes("merchant");
}

/** The header's language menu: a choice closes it and gives the focus back to its summary; so do
 *  Escape and a tap outside it. */
function wireLanguageMenu() {
  const menu = document.getElementById("language-menu");
  const close = (refocus) => {
    if (!menu || !menu.open) return;
    menu.open = false;
    if (refocus) menu.querySelector("summary").focus();
  };
  for (const button of document.querySelectorAll("button[data-lang]")) {
    button.addEventListener("click", () => {
      setLanguage(button.dataset.lang);
      close(true);
    });
  }
  if (!menu) return;
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close(true);
  });
  document.addEventListener("click", (event) => {
    if (!menu.contains(event.target)) close(false);
  });
}

/** Say, above the page, that the phone is offline and what it shows is as of when it was fetched. */
function showOffline() {
  const since = offlineSince();
  const note = document.getElementById("offline-note");
  if (!since || !note) return;
  setText(note, "offline.as_of", { time: formatDate(since, { withTime: true }) });
  note.hidden = false;
}

/** The wallet installs its service worker (toshav/web/offline.py): its shell and answers offline. */
function keepWalletOffline() {
  if (document.body.dataset.page !== "wallet" || !("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/wallet-worker.js", { scope: "/wallet" }).catch(() => {
    // No worker (storage off, plain HTTP): the wallet works online only.
  });
}

/** Screen readers read a live region only when its text changes: the same message again is emptied first. */
function repeatable(region, text, write) {
  if (region.textContent === text) {
    region.textContent = "";
    setTimeout(write, 150);
  } else {
    write();
  }
}

/** Put a message in a live region (read out by screen readers); "error", "ok" or "info". */
export function announce(region, key, { params, tone = "info" } = {}) {
  region.dataset.tone = tone;
  repeatable(region, t(key, params), () => setText(region, key, params));
}

/** Put the API's own words (already in the page's language) in a live region. */
export function announceDetail(region, detail, tone = "error") {
  region.dataset.tone = tone;
  delete region.dataset.i18n;
  delete region.dataset.i18nParams;
  repeatable(region, detail, () => {
    region.textContent = detail;
  });
}

export function clearMessage(region) {
  delete region.dataset.i18n;
  delete region.dataset.i18nParams;
  delete region.dataset.tone;
  region.textContent = "";
}

let signingOut = false;

/** Send someone who is not signed in to the sign-in page, and back here afterwards. */
export function goSignIn() {
  if (signingOut) return; // a call refused on the way out: the page is going home, not to sign in
  const next = location.pathname + location.search;
  location.assign(`/signin?next=${encodeURIComponent(next)}`);
}

export { homeFor, tokens };

/** A check box with data-shows="<id>" shows the password in that field while ticked. */
function wirePasswordToggles() {
  for (const box of document.querySelectorAll("input[data-shows]")) {
    const field = document.getElementById(box.dataset.shows);
    box.addEventListener("change", () => {
      field.type = box.checked ? "text" : "password";
    });
  }
}

/** Start a page: its language first, then its shared parts. Resolves when texts are ready. */
export async function start() {
  try {
    await init();
  } catch {
    // The server already filled the page in a language; carry on in it.
  }
  markLanguageButtons();
  onLanguageChange(markLanguageButtons);
  wireLanguageMenu();
  showAccount();
  document.getElementById("nav-signout").addEventListener("click", async () => {
    signingOut = true;
    await signOut();
    location.assign("/");
  });
  wirePasswordToggles();
  showOffline();
  window.addEventListener("toshav:offline", showOffline);
  onLanguageChange(showOffline); // the time is written anew in the language chosen
  keepWalletOffline();
  document.documentElement.dataset.ready = "true";
}

/**
 * The modules of this page's parts: the sections other domains add to it where the deployment runs
 * them, each naming the module that drives it in data-part. The page says what it starts them with.
 */
export function loadParts() {
  return Promise.all([...document.querySelectorAll("[data-part]")].map((element) => import(element.dataset.part)));
}

/** Read a form's fields, trimmed (passwords as typed). */
export function values(form) {
  const data = {};
  for (const [name, value] of new FormData(form)) {
    const field = form.elements.namedItem(name);
    const asTyped = field && field.type === "password";
    data[name] = typeof value === "string" && !asTyped ? value.trim() : value;
  }
  return data;
}

/** Mark the named fields as wrong (and the others as right); focus the first wrong one. */
export function markInvalid(form, names) {
  for (const element of form.querySelectorAll("input, select, textarea")) {
    if (element.type === "radio" || element.type === "checkbox" || element.type === "hidden") continue;
    if (names.includes(element.name)) element.setAttribute("aria-invalid", "true");
    else element.removeAttribute("aria-invalid");
  }
  const first = names.map((name) => form.elements.namedItem(name)).find((element) => element && element.focus);
  if (first) first.focus();
}

/** The required fields left empty, by name. */
export function missing(form) {
  const empty = [];
  for (const element of form.querySelectorAll("[required]")) {
    if (!element.value.trim()) empty.push(element.name);
  }
  return empty;
}

/** The visible label of a field, for messages that name it. */
export function labelOf(form, name) {
  const element = form.elements.namedItem(name);
  const label = element && element.id ? form.querySelector(`label[for="${element.id}"]`) : null;
  return label ? label.textContent.replace(/\s+/g, " ").trim() : name;
}

/** Keep a button from being pressed twice while its request runs. */
export async function busy(button, work) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

/** The path to go to after signing in, only if it is one of ours. */
export function nextPath(fallback) {
  const next = new URLSearchParams(location.search).get("next");
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : fallback;
}

