// My business, as its owner manages it: its staff logins, added (an existing login by its
// username, or a new one with a one-time link to choose its password) and removed at once.

import { call } from "./api.js";
import { startFigures } from "./business-figures.js";
import { formatDate, onLanguageChange, setText, t } from "./i18n.js";
import {
  announce,
  announceDetail,
  busy,
  clearMessage,
  goSignIn,
  labelOf,
  markInvalid,
  missing,
  start,
  tokens,
  values,
} from "./page.js";

await start();

const $ = (id) => document.getElementById(id);
const status = $("status");
const form = $("add-form");
const USERNAME = /^[A-Za-z0-9._@+-]{3,150}$/;
let business = null;
let staff = [];
let invite = null; // the last new login's link, shown once

function staffUrl(suffix = "") {
  return `/cashback/merchants/${encodeURIComponent(business.id)}/staff${suffix}`;
}

function drawStaff() {
  const list = $("staff-list");
  list.replaceChildren();
  for (const member of staff) {
    const item = document.createElement("li");
    item.dataset.username = member.username;
    const who = document.createElement("span");
    who.className = "what";
    who.textContent = member.display_name ? `${member.display_name} (${member.username})` : member.username;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = member.owner
      ? t("business.owner")
      : t("business.since", { date: formatDate(member.since) });
    item.append(who, meta);
    if (!member.owner) {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "button";
      remove.textContent = t("business.remove");
      remove.setAttribute("aria-label", t("business.remove_named", { username: member.username }));
      remove.addEventListener("click", () => busy(remove, () => removeStaff(member)));
      item.append(remove);
    }
    list.append(item);
  }
}

function drawInvite() {
  $("invite").hidden = !invite;
  if (!invite) return;
  setText($("invite-text"), "business.invite", {
    username: invite.username,
    until: formatDate(invite.expires, { withTime: true }),
  });
  $("invite-link").value = new URL(invite.path, location.origin).href;
}

async function loadStaff() {
  const answer = await call(staffUrl());
  if (answer.status === 401) return goSignIn();
  if (!answer.ok) return announceDetail(status, answer.data.detail);
  staff = answer.data;
  drawStaff();
  $("staff").hidden = false;
}

async function removeStaff(member) {
  const answer = await call(staffUrl(`/${encodeURIComponent(member.user_id)}`), { method: "DELETE" });
  if (answer.status === 401) return goSignIn();
  if (!answer.ok) return announceDetail(status, answer.data.detail);
  announce(status, "business.removed", { tone: "ok", params: { username: member.username } });
  if (invite && invite.username === member.username) invite = null;
  drawInvite();
  await loadStaff();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = values(form);
  const empty = missing(form);
  if (empty.length) {
    const fields = empty.map((name) => labelOf(form, name)).join(", ");
    announce(status, "form.missing", { tone: "error", params: { fields } });
    return markInvalid(form, empty);
  }
  if (!USERNAME.test(data.staff_username)) {
    announce(status, "enrol.username_rule", { tone: "error" });
    return markInvalid(form, ["staff_username"]);
  }
  markInvalid(form, []);
  const body = { username: data.staff_username, new_login: data.how === "new" };
  if (data.display_name) body.display_name = data.display_name;
  if (body.new_login && data.staff_email) body.email = data.staff_email;
  await busy(form.querySelector("button[type=submit]"), async () => {
    const answer = await call(staffUrl(), { method: "POST", json: body });
    if (answer.status === 401) return goSignIn();
    if (!answer.ok) {
      announceDetail(status, answer.data.detail);
      return form.elements.namedItem("staff_username").setAttribute("aria-invalid", "true");
    }
    const added = answer.data;
    invite = added.invite_path
      ? { username: added.username, path: added.invite_path, expires: added.invite_expires_at }
      : null;
    const said = added.invite_emailed ? "business.invited_by_email" : "business.added";
    announce(status, said, { tone: "ok", params: { username: added.username, email: body.email } });
    form.reset();
    showEmailField();
    drawInvite();
    await loadStaff();
    if (invite) $("invite").focus();
  });
});

/** The address for an invitation is asked only for a new login. */
function showEmailField() {
  $("email-field").hidden = form.elements.namedItem("how").value !== "new";
}
for (const choice of form.querySelectorAll("input[name=how]")) choice.addEventListener("change", showEmailField);

async function load() {
  const answer = await call("/cashback/merchants/me");
  if (answer.status === 401) return goSignIn();
  if (!answer.ok) return announceDetail(status, answer.data.detail);
  business = answer.data;
  const name = $("business-name");
  name.textContent = business.name;
  name.hidden = false;
  $("business-links").hidden = false;
  $("to-wallet").hidden = !tokens.roles.includes("resident");
  startFigures(business); // its owner's and its staff's, beside the staff logins
  if (!business.owner) return announce(status, "business.owner_only");
  clearMessage(status);
  await loadStaff();
}

onLanguageChange(() => {
  drawStaff();
  drawInvite();
});

if (!tokens.signedIn) goSignIn();
else await load();
