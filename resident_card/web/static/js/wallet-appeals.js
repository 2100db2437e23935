// Appeals in the wallet: beside a refusal, its appeal's status (with the clerk's reason once
// decided) or an "Appeal" button that opens a form for the resident's message. The benefits section
// and parking's permits use it alike; one dialog serves every refusal.

import { call } from "./api.js";
import { setDate, setText, t } from "./i18n.js";
import { announce, announceDetail, busy, clearMessage, goSignIn, markInvalid } from "./page.js";

let appeals = []; // the last answer of /appeals/me, newest first
const listeners = [];

const STATES = {
  submitted: "appeal.status.submitted",
  granted: "appeal.status.granted",
  refused: "appeal.status.refused",
};

/** Read the resident's appeals (and their wards') again. */
export async function loadAppeals() {
  const result = await call("/appeals/me");
  if (result.status === 401) return goSignIn();
  appeals = result.ok && Array.isArray(result.data) ? result.data : [];
  return appeals;
}

/** Call back after an appeal is sent (the sections redraw what they offer). */
export function onAppealSent(callback) {
  listeners.push(callback);
}

/** The newest appeal against a decision, if any. */
export function appealOf(decisionId) {
  return appeals.find((appeal) => appeal.decision_id === decisionId);
}

/** Whether a clerk granted an appeal against this decision. */
export function appealGranted(decisionId) {
  return appeals.some((appeal) => appeal.decision_id === decisionId && appeal.status === "granted");
}

// --- the dialog -----------------------------------------------------------------------------------

let dialog = null;
let opener = null;
let current = null; // {decisionId, name}

function build() {
  dialog = document.createElement("dialog");
  dialog.id = "appeal-dialog";
  dialog.className = "confirm-dialog appeal-dialog";
  dialog.setAttribute("aria-labelledby", "appeal-title");
  dialog.setAttribute("aria-describedby", "appeal-explain");
  const form = document.createElement("form");
  form.id = "appeal-form";
  form.className = "form";
  form.noValidate = true;
  const title = document.createElement("h2");
  title.id = "appeal-title";
  const explain = setText(document.createElement("p"), "appeal.explain");
  explain.id = "appeal-explain";
  const field = document.createElement("div");
  field.className = "field";
  const label = setText(document.createElement("label"), "appeal.message");
  label.htmlFor = "appeal-message";
  const hint = setText(document.createElement("p"), "appeal.message_hint");
  hint.className = "hint";
  hint.id = "appeal-message-hint";
  const message = document.createElement("textarea");
  message.id = "appeal-message";
  message.name = "message";
  message.rows = 5;
  message.maxLength = 2000;
  message.required = true;
  message.setAttribute("aria-required", "true");
  message.setAttribute("aria-describedby", "appeal-message-hint");
  field.append(label, hint, message);
  const status = document.createElement("p");
  status.id = "appeal-status";
  status.className = "status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  status.setAttribute("aria-atomic", "true");
  const actions = document.createElement("div");
  actions.className = "actions";
  const send = setText(document.createElement("button"), "appeal.send");
  send.type = "submit";
  send.className = "button primary";
  const cancel = setText(document.createElement("button"), "appeal.cancel");
  cancel.type = "button";
  cancel.className = "button";
  actions.append(send, cancel);
  form.append(title, explain, field, status, actions);
  dialog.append(form);
  document.body.append(dialog);

  cancel.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (opener && opener.isConnected) opener.focus();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = message.value.trim();
    if (!text) {
      announce(status, "appeal.message_needed", { tone: "error" });
      markInvalid(form, ["message"]);
      message.focus();
      return;
    }
    markInvalid(form, []);
    await busy(send, async () => {
      const result = await call("/appeals", {
        method: "POST",
        json: { decision_id: current.decisionId, message: text },
      });
      if (result.status === 401) return goSignIn();
      if (!result.ok) {
        announceDetail(status, result.data.detail);
        return;
      }
      await loadAppeals();
      const { decisionId, name } = current;
      dialog.close();
      for (const callback of listeners) await callback(result.data);
      // The refusal is drawn again with its appeal's status: go there, and say it was sent.
      const box = document.querySelector(`.appeal[data-decision="${CSS.escape(decisionId)}"]`);
      if (box) {
        box.querySelector(".appeal-state")?.focus();
        announce(box.querySelector(".status"), "appeal.sent", { tone: "ok", params: { name } });
      }
    });
  });
}

function open(decisionId, name, button) {
  if (!dialog) build();
  opener = button;
  current = { decisionId, name };
  setText(dialog.querySelector("#appeal-title"), "appeal.title", { name });
  dialog.querySelector("#appeal-message").value = "";
  clearMessage(dialog.querySelector("#appeal-status"));
  markInvalid(dialog.querySelector("form"), []);
  dialog.showModal();
  dialog.querySelector("#appeal-message").focus();
}

// --- beside a refusal -----------------------------------------------------------------------------

/** What to show beside a refused decision: its appeal's status, or the button that opens one. */
export function appealControl(decisionId, name) {
  const box = document.createElement("div");
  box.className = "appeal";
  box.dataset.decision = decisionId;
  const appeal = appealOf(decisionId);
  if (appeal) {
    const line = document.createElement("p");
    line.className = "appeal-state";
    line.tabIndex = -1;
    const badge = setText(document.createElement("span"), STATES[appeal.status] || "appeal.status.submitted");
    badge.className = "badge";
    badge.dataset.appeal = appeal.status;
    const when = document.createElement("time");
    setDate(when, appeal.decided_at || appeal.created_at);
    line.append(badge, " ", when);
    box.append(line);
    if (appeal.reason) {
      box.append(setText(document.createElement("p"), "appeal.reason", { reason: appeal.reason }));
    }
  }
  const region = document.createElement("p");
  region.className = "status";
  region.setAttribute("role", "status");
  region.setAttribute("aria-live", "polite");
  region.setAttribute("aria-atomic", "true");
  if (!appeal || appeal.status === "refused") {
    const button = setText(document.createElement("button"), "appeal.open");
    // Named for its refusal: a wallet with two refusals has two distinguishable buttons.
    button.setAttribute("aria-label", t("appeal.open_named", { name }));
    button.type = "button";
    button.className = "button";
    button.setAttribute("aria-haspopup", "dialog");
    button.addEventListener("click", () => open(decisionId, name, button));
    box.append(button);
  }
  box.append(region);
  return box;
}
