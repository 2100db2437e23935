// The city's notices on the clerk's desk: every notice posted, newest first, with its
// neighbourhoods, days and state; an admin withdraws a current or upcoming one with a reason, and
// posts a new one for some neighbourhoods or the whole city (Hebrew required; Arabic and English
// left empty are shown in Hebrew). Auditors read the list. Absent where messages are not run.

import { call } from "./api.js";
import { formatDate, language, onLanguageChange, setText, t } from "./i18n.js";
import { announce, announceDetail, busy, clearMessage, goSignIn, markInvalid } from "./page.js";

const $ = (id) => document.getElementById(id);
const LIVE = new Set(["current", "upcoming"]);

let canChange = false;
let notices = [];
let places = []; // the city's neighbourhoods: {code, names}
let withdrawing = null;

function placeName(place) {
  return place.names[language()] || place.names.he;
}

function title(notice) {
  return notice.title[language()] || notice.title.he;
}

function where(notice) {
  if (notice.whole_city) return t("notices.whole_city");
  return notice.neighbourhoods
    .map((n) => {
      const place = places.find((p) => p.code === n.code);
      return place ? placeName(place) : n.name;
    })
    .join(", ");
}

function drawNotices() {
  const list = $("notices-list");
  list.replaceChildren();
  for (const notice of notices) {
    const item = document.createElement("li");
    const what = document.createElement("strong");
    what.textContent = title(notice);
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = t("notices.line", {
      where: where(notice),
      from: formatDate(notice.first_day),
      to: formatDate(notice.last_day),
      state: t(`notices.state.${notice.state}`),
    });
    item.append(what, meta);
    if (canChange && LIVE.has(notice.state)) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button";
      button.textContent = t("notices.withdraw");
      button.setAttribute("aria-label", t("notices.withdraw_of", { title: title(notice) }));
      button.addEventListener("click", () => openWithdrawal(notice));
      item.append(button);
    }
    list.append(item);
  }
  if (notices.length === 0) setText($("notices-count"), "notices.empty");
  else setText($("notices-count"), "notices.count", { count: notices.length });
  if (withdrawing) $("withdraw-of").textContent = title(withdrawing);
}

async function loadNotices() {
  const answer = await call("/admin/notices?limit=100");
  if (answer.status === 401) return goSignIn();
  if (!answer.ok) return announceDetail($("notice-change"), answer.data.detail);
  notices = answer.data;
  drawNotices();
}

function drawPlaces() {
  const box = $("notice-neighbourhoods");
  if (!box) return; // an auditor's desk has no form
  const chosen = new Set([...box.querySelectorAll("input:checked")].map((input) => input.value));
  box.replaceChildren();
  for (const place of places) {
    const label = document.createElement("label");
    label.className = "check";
    const input = document.createElement("input");
    input.type = "checkbox";
    input.name = "neighbourhood";
    input.value = place.code;
    input.checked = chosen.has(place.code);
    input.disabled = $("notice-whole-city").checked;
    const name = document.createElement("span");
    name.textContent = placeName(place);
    label.append(input, " ", name);
    box.append(label);
  }
}

async function loadPlaces() {
  const answer = await call("/city/neighbourhoods");
  if (answer.ok) places = answer.data;
  drawPlaces();
}

function openWithdrawal(notice) {
  withdrawing = notice;
  const form = $("withdraw-form");
  form.reset();
  markInvalid(form, []);
  clearMessage($("notice-change"));
  form.hidden = false;
  drawNotices();
  $("withdraw-reason").focus();
}

function closeWithdrawal() {
  withdrawing = null;
  $("withdraw-form").hidden = true;
  drawNotices();
}

async function withdraw(event) {
  event.preventDefault();
  const form = $("withdraw-form");
  const reason = $("withdraw-reason").value.trim();
  if (!reason) {
    announce($("notice-change"), "notices.reason_needed", { tone: "error" });
    markInvalid(form, ["withdraw_reason"]);
    return;
  }
  markInvalid(form, []);
  await busy(form.querySelector("button[type=submit]"), async () => {
    const answer = await call(`/admin/notices/${encodeURIComponent(withdrawing.id)}/withdraw`, {
      method: "POST",
      json: { reason },
    });
    if (answer.status === 401) return goSignIn();
    if (!answer.ok) return announceDetail($("notice-change"), answer.data.detail);
    announce($("notice-change"), "notices.withdrawn", { tone: "ok", params: { title: title(withdrawing) } });
    withdrawing = null;
    form.hidden = true;
    await loadNotices();
  });
}

function draft(form) {
  const field = (name) => form.elements.namedItem(name).value.trim();
  const wholeCity = $("notice-whole-city").checked;
  return {
    title: { he: field("title_he"), ar: field("title_ar"), en: field("title_en") },
    body: { he: field("body_he"), ar: field("body_ar"), en: field("body_en") },
    whole_city: wholeCity,
    neighbourhoods: wholeCity
      ? []
      : [...$("notice-neighbourhoods").querySelectorAll("input:checked")].map((input) => input.value),
    first_day: field("first_day"),
    last_day: field("last_day"),
  };
}

// The first thing missing, as the clerk reads the form from the top.
function missingOf(notice) {
  if (!notice.whole_city && notice.neighbourhoods.length === 0) return ["where", null];
  if (!notice.title.he) return ["notices.title_needed", "title_he"];
  if (!notice.body.he) return ["notices.body_needed", "body_he"];
  if (!notice.first_day) return ["notices.days_needed", "first_day"];
  if (!notice.last_day) return ["notices.days_needed", "last_day"];
  return null;
}

async function post(event) {
  event.preventDefault();
  const form = $("notice-form");
  const status = $("notice-status");
  const notice = draft(form);
  const missing = missingOf(notice);
  if (missing) {
    const [key, name] = missing;
    if (key === "where") {
      announce(status, "notices.where_needed", { tone: "error" });
      markInvalid(form, []);
      $("notice-whole-city").focus();
      return;
    }
    announce(status, key, { tone: "error" });
    markInvalid(form, [name]);
    return;
  }
  markInvalid(form, []);
  await busy(form.querySelector("button[type=submit]"), async () => {
    const answer = await call("/admin/notices", { method: "POST", json: notice });
    if (answer.status === 401) return goSignIn();
    if (!answer.ok) {
      announceDetail(status, answer.data.detail);
      if (answer.data.error === "notice_days_invalid") markInvalid(form, ["last_day"]);
      return;
    }
    announce(status, "notices.posted", { tone: "ok", params: { title: notice.title.he } });
    form.reset();
    drawPlaces();
    await loadNotices();
  });
}

/** Show the notices to staff (the clerk's page starts each of its parts so); `changes` for admins only. */
export async function startPart({ changes }) {
  canChange = changes;
  if (!canChange) {
    $("notice-form").remove();
    $("withdraw-form").remove();
  } else {
    $("notice-form").addEventListener("submit", post);
    $("withdraw-form").addEventListener("submit", withdraw);
    $("withdraw-cancel").addEventListener("click", closeWithdrawal);
    $("notice-whole-city").addEventListener("change", drawPlaces);
  }
  onLanguageChange(() => {
    drawPlaces();
    drawNotices();
  });
  $("notices").hidden = false;
  await loadPlaces();
  await loadNotices();
}
