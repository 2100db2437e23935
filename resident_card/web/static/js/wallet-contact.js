// The wallet's contact details: my email and phone, a new email waiting for the link sent to it,
// and the forms that change them. A phone changes at once; an email once its link is opened.

import { call } from "./api.js";
import { formatDate, onLanguageChange, setText } from "./i18n.js";
import { announce, announceDetail, busy, goSignIn, labelOf, markInvalid, missing, values } from "./page.js";

const $ = (id) => document.getElementById(id);
let contact = null;
let started = false;

function row(list, key, value) {
  const term = setText(document.createElement("dt"), key);
  const detail = document.createElement("dd");
  if (value) {
    const text = document.createElement("bdi");
    text.textContent = value;
    detail.append(text);
  } else {
    setText(detail, "contact.none");
  }
  list.append(term, detail);
}

function draw() {
  const list = $("contact-details");
  list.replaceChildren();
  row(list, "field.email", contact.email);
  row(list, "field.phone", contact.phone);
  const pending = $("contact-pending");
  if (contact.pending_email) {
    const until = formatDate(contact.pending_email_expires_at, { withTime: true });
    setText(pending, "contact.pending", { email: contact.pending_email, until });
  }
  pending.hidden = !contact.pending_email;
  $("contact").hidden = false;
}

async function load() {
  const result = await call("/residents/me/contact");
  if (result.status === 401) return goSignIn();
  if (!result.ok) return;
  contact = result.data;
  draw();
}

async function send(form, body, doneKey) {
  const status = $("contact-status");
  const empty = missing(form);
  if (empty.length) {
    const fields = empty.map((name) => labelOf(form, name)).join(", ");
    announce(status, "form.missing", { tone: "error", params: { fields } });
    markInvalid(form, empty);
    return;
  }
  markInvalid(form, []);
  const submit = form.querySelector("button[type=submit]");
  await busy(submit, async () => {
    const result = await call("/residents/me/contact", { method: "PATCH", json: body(values(form)) });
    if (result.status === 401) return goSignIn();
    if (!result.ok) {
      if (result.status === 422) markInvalid(form, [...form.elements].filter((e) => e.name).map((e) => e.name));
      announceDetail(status, result.data.detail);
      return;
    }
    contact = result.data;
    draw();
    form.reset();
    form.closest("details").open = false;
    announce(status, doneKey(contact), { tone: "ok", params: { email: contact.pending_email || "" } });
  });
}

function wire() {
  $("email-form").addEventListener("submit", (event) => {
    event.preventDefault();
    send(event.target, ({ email }) => ({ email }), (now) => (now.pending_email ? "contact.email_sent" : "contact.email_same"));
  });
  $("phone-form").addEventListener("submit", (event) => {
    event.preventDefault();
    send(event.target, ({ phone }) => ({ phone }), () => "contact.phone_changed");
  });
  onLanguageChange(() => {
    if (contact) draw();
  });
}

/** Show my contact details; the wallet calls this once it knows I am a resident. */
export async function startContact() {
  if (!started) {
    started = true;
    wire();
  }
  await load();
  if (contact && location.hash === "#contact") {
    $("contact").scrollIntoView();
    $("contact-heading").focus();
  }
}
