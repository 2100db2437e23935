// The wallet's requests: every request the resident (or a minor in their care) made, each with the
// steps it went through, oldest first, from GET /requests/me. A resident still waiting for
// verification sees that first, above everything else: what happens next, and their enrolment's
// steps. Status texts and the system's notes come from the API in the page's language, so a switch
// of language asks again.

import { call } from "./api.js";
import { onLanguageChange, setText, t } from "./i18n.js";
import { announceDetail, clearMessage, goSignIn } from "./page.js";
import { drawSteps, toneOf } from "./request-steps.js";

const $ = (id) => document.getElementById(id);
const KINDS = ["enrolment", "permit", "business_application", "appeal", "erasure"];

let resident = null;
let requests = [];

function kindKey(kind) {
  return KINDS.includes(kind) ? `requests.kind.${kind}` : "requests.kind.other";
}

function drawRequest(request) {
  const item = document.createElement("li");
  item.dataset.request = request.id;
  item.dataset.kind = request.kind;
  item.dataset.status = request.status;
  const title = setText(document.createElement("h3"), kindKey(request.kind));
  const state = document.createElement("p");
  const badge = document.createElement("span");
  badge.className = "badge request-state";
  badge.dataset.tone = toneOf(request.status);
  badge.textContent = request.status_text;
  state.append(badge);
  const steps = document.createElement("ol");
  steps.className = "request-steps";
  steps.setAttribute("data-i18n-aria-label", "requests.steps");
  steps.setAttribute("aria-label", t("requests.steps"));
  item.append(title, state, drawSteps(steps, request));
  return item;
}

function ownEnrolment() {
  return requests.find((request) => request.kind === "enrolment" && resident && request.id === resident.id);
}

function draw() {
  const waiting = resident && resident.status === "pending";
  const enrolment = ownEnrolment();
  $("waiting").hidden = !waiting;
  if (waiting) drawSteps($("waiting-steps"), enrolment || { timeline: [] });
  // The enrolment shown in the waiting block is not shown twice.
  const listed = waiting ? requests.filter((request) => request !== enrolment) : requests;
  const list = $("request-list");
  list.replaceChildren(...listed.map(drawRequest));
  $("requests-empty").hidden = listed.length > 0;
  $("requests").hidden = false;
}

/** Read the requests again (one was just made). */
export async function reloadRequests() {
  await load();
}

async function load() {
  const result = await call("/requests/me");
  if (result.status === 401) return goSignIn();
  if (!result.ok) {
    announceDetail($("requests-status"), result.data.detail);
    $("requests").hidden = false;
    return;
  }
  clearMessage($("requests-status"));
  requests = Array.isArray(result.data) ? result.data : [];
  draw();
}

/** Show the resident's requests; the waiting block first while their residency is not verified. */
export async function startRequests(who) {
  resident = who;
  // Shown at once from what the wallet knows; the steps follow from the API.
  $("waiting").hidden = !(resident && resident.status === "pending");
  await load();
}

onLanguageChange(() => {
  if (resident) load();
});
