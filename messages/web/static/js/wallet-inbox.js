// The wallet's inbox: the person's messages, newest first, in the page's language; a message is
// marked read when opened; the unread count stands at the top of the wallet; and the categories
// the person wants by email and SMS (the critical ones cannot be turned off).

import { call } from "./api.js";
import { onLanguageChange, setDate, setText } from "./i18n.js";
import { announce, announceDetail, goSignIn } from "./page.js";

const $ = (id) => document.getElementById(id);
const PAGE = 20;
const CATEGORIES = ["residency", "permits", "revocations", "free_time", "cashback", "appeals", "business", "security"];
const CRITICAL = new Set(["residency", "revocations", "security"]);

let messages = []; // what was read of /messages/me, newest first
let total = 0;
let unread = 0;
let started = false;

function showUnread() {
  const line = $("inbox-unread");
  line.hidden = unread === 0;
  setText($("inbox-unread-link"), unread === 1 ? "inbox.unread_one" : "inbox.unread", { count: unread });
}

function messageItem(message) {
  const item = document.createElement("li");
  item.dataset.read = String(Boolean(message.read_at));
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  const title = document.createElement("span");
  title.className = "inbox-title";
  title.textContent = message.title;
  const when = document.createElement("time");
  when.className = "inbox-when";
  setDate(when, message.created_at, { withTime: true });
  summary.append(title, " ", when);
  if (!message.read_at) {
    const mark = setText(document.createElement("span"), "inbox.new");
    mark.className = "badge inbox-new";
    summary.append(" ", mark);
  }
  const body = document.createElement("p");
  body.className = "inbox-body";
  body.textContent = message.body;
  details.append(summary, body);
  if (message.link && message.link.startsWith("/") && !message.link.startsWith("//")) {
    const link = setText(document.createElement("a"), "inbox.open");
    link.href = message.link;
    details.append(link);
  }
  details.addEventListener("toggle", () => {
    if (details.open && !message.read_at) markRead(message, item);
  });
  item.append(details);
  return item;
}

async function markRead(message, item) {
  const result = await call(`/messages/me/${message.id}/read`, { method: "POST" });
  if (result.status === 401) return goSignIn();
  if (!result.ok) {
    announceDetail($("inbox-status"), result.data.detail);
    return;
  }
  message.read_at = result.data.read_at;
  item.dataset.read = "true";
  const mark = item.querySelector(".inbox-new");
  if (mark) mark.remove();
  unread = Math.max(0, unread - 1);
  showUnread();
}

function draw() {
  const list = $("inbox-list");
  list.replaceChildren(...messages.map(messageItem));
  $("inbox-empty").hidden = messages.length > 0;
  $("inbox-more").hidden = messages.length >= total;
  showUnread();
}

async function load({ more = false } = {}) {
  const offset = more ? messages.length : 0;
  const limit = more ? PAGE : Math.max(PAGE, messages.length);
  const result = await call(`/messages/me?limit=${limit}&offset=${offset}`);
  if (result.status === 401) {
    goSignIn();
    return false;
  }
  if (!result.ok) {
    if (result.status === 404) return false; // no inbox in this deployment
    announceDetail($("inbox-status"), result.data.detail);
    return false;
  }
  messages = more ? [...messages, ...result.data.items] : result.data.items;
  total = result.data.total;
  unread = result.data.unread;
  draw();
  return true;
}

function drawPreferences(wanted) {
  const box = $("inbox-categories");
  box.replaceChildren();
  for (const category of CATEGORIES) {
    const label = document.createElement("label");
    label.className = "check";
    const input = document.createElement("input");
    input.type = "checkbox";
    input.name = category;
    input.checked = CRITICAL.has(category) || wanted[category] !== false;
    const name = setText(document.createElement("span"), `inbox.category.${category}`);
    label.append(input, " ", name);
    if (CRITICAL.has(category)) {
      // Shown and focusable, but not to be turned off: the city must be able to tell these.
      input.setAttribute("aria-disabled", "true");
      input.addEventListener("click", (event) => {
        event.preventDefault();
        announce($("inbox-preferences-status"), "inbox.always_explain", { tone: "info" });
      });
      const always = setText(document.createElement("span"), "inbox.always");
      always.className = "inbox-always";
      label.append(" ", always);
    } else {
      input.addEventListener("change", () => choose(input));
    }
    box.append(label);
  }
}

async function loadPreferences() {
  const result = await call("/messages/me/preferences");
  if (result.ok) drawPreferences(result.data);
}

async function choose(input) {
  const status = $("inbox-preferences-status");
  const result = await call("/messages/me/preferences", { method: "PUT", json: { [input.name]: input.checked } });
  if (result.status === 401) return goSignIn();
  if (!result.ok) {
    input.checked = !input.checked;
    announceDetail(status, result.data.detail);
    return;
  }
  announce(status, input.checked ? "inbox.turned_on" : "inbox.turned_off", {
    tone: "ok",
    params: { category: document.querySelector(`[data-i18n="inbox.category.${input.name}"]`).textContent },
  });
}

function wire() {
  // The count at the top of the wallet, under its heading; it leads to the inbox.
  const top = $("status") || $("greeting");
  top.after($("inbox-unread"));
  $("inbox-unread-link").addEventListener("click", (event) => {
    event.preventDefault();
    $("inbox").scrollIntoView();
    $("inbox-heading").focus();
  });
  $("inbox-more").addEventListener("click", () => load({ more: true }));
  onLanguageChange(() => load());
}

export async function startPart() {
  if (!started) {
    started = true;
    wire();
  }
  const shown = await load();
  if (!shown) return;
  $("inbox").hidden = false;
  await loadPreferences();
}
