// A request's steps, as the wallet and the till show them: an ordered list, oldest first, each step
// with its words, its <time> and the note given with it; the last one is where the request stands.
// The words come from GET /requests/me in the page's language.

import { setDate } from "./i18n.js";

// How a status reads at a glance; the words say it too, never the colour alone.
const TONES = {
  verified: "ok",
  granted: "ok",
  approved: "ok",
  reinstated: "ok",
  submitted: "wait",
  waiting: "wait",
  applied: "wait",
  refused: "bad",
  rejected: "bad",
  revoked: "bad",
  suspended: "bad",
};

/** How a status reads at a glance: ok, wait, bad or calm. */
export function toneOf(status) {
  return TONES[status] || "calm";
}

/** A request's steps as an ordered list: what, when (a <time>), and the note given with it. */
export function drawSteps(list, request) {
  list.replaceChildren();
  const steps = request.timeline || [];
  steps.forEach((step, index) => {
    const item = document.createElement("li");
    item.dataset.status = step.status;
    if (index === steps.length - 1) item.setAttribute("aria-current", "step");
    const what = document.createElement("span");
    what.className = "what";
    what.textContent = step.status_text;
    const when = setDate(document.createElement("time"), step.at, { withTime: true });
    item.append(what, when);
    if (step.note) {
      const note = document.createElement("bdi"); // a clerk's words, in whatever language
      note.className = "step-note";
      note.textContent = step.note;
      item.append(note);
    }
    list.append(item);
  });
  return list;
}
