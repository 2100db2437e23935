// A resident's parking permit as the wallet shows it: where it stands (applied, granted, in force,
// its end), the reasons of the decision, an appeal where it was refused, and while it is in force
// its pass. The pass QR and its printable files need the bearer token, so they are fetched with it
// (api.js's fetchFile): the QR is shown as a data: URL (the page's CSP allows 'self' and data:
// images), the PDF and SVG are handed to the browser as downloads.

import { fetchFile } from "./api.js";
import { formatDate, setDate, setText, t } from "./i18n.js";
import { announceDetail, busy, goSignIn } from "./page.js";
import { plateElement } from "./parking-plate.js";
import { appealControl } from "./wallet-appeals.js";

const $ = (id) => document.getElementById(id);
const SECOND = 1000;
const PASS_BOX = 10; // pixels per module in the API's PNG (resident_card/credentials/qr.py)

const STATES = {
  refused: "parking.state.refused",
  active: "parking.state.active",
  expired: "parking.state.expired",
  cancelled: "parking.state.cancelled",
  ended: "parking.state.ended",
};
const ENDINGS = {
  moved: "parking.step.ended.moved",
  residency: "parking.step.ended.residency",
  vehicle_removed: "parking.step.ended.vehicle_removed",
};
const passes = new Map(); // pass id -> data: URL of its QR (a pass never changes while it lasts)

/** Where a permit stands, as steps the resident can follow: applied → granted → in force → its end. */
function steps(permit) {
  const list = [["parking.step.applied", "done"]];
  if (permit.status === "refused") {
    list.push(["parking.step.refused", "refused"]);
    return list;
  }
  list.push(["parking.step.granted", "done"]);
  if (permit.status === "active") {
    list.push(["parking.step.active", "current"]);
    if (permit.last_valid_day) list.push(["parking.step.ends", "next", { date: formatDate(permit.last_valid_day) }]);
    return list;
  }
  list.push(["parking.step.active", "done"]);
  if (permit.status === "expired") list.push(["parking.step.expired", "over"]);
  else if (permit.status === "cancelled") list.push(["parking.step.cancelled", "over"]);
  else list.push([ENDINGS[permit.end_reason] || "parking.step.ended.other", "over"]);
  return list;
}

function drawSteps(permit) {
  const list = document.createElement("ol");
  list.className = "steps";
  list.setAttribute("aria-label", t("parking.steps"));
  const all = steps(permit);
  all.forEach(([key, state, params], index) => {
    const item = setText(document.createElement("li"), key, params);
    item.dataset.step = state;
    // The step the permit is at now: the last one reached (a future end date is not reached).
    const reached = all.filter(([, s]) => s !== "next").length - 1;
    if (index === reached) item.setAttribute("aria-current", "step");
    list.append(item);
  });
  return list;
}

/** The reasons a person can act on: each condition's own verdict, not the "all of these" around them. */
function plainReasons(reasons) {
  const leaves = reasons.filter((reason) => !["all", "any", "not"].includes(reason.kind));
  return leaves.length ? leaves : reasons;
}

function drawReasons(permit) {
  const reasons = plainReasons(permit.reasons || []);
  if (!reasons.length) return null;
  const details = document.createElement("details");
  details.className = "permit-reasons";
  details.open = permit.status === "refused";
  details.append(setText(document.createElement("summary"), "parking.why"));
  const list = document.createElement("ul");
  list.className = "reasons";
  for (const reason of reasons) {
    const line = document.createElement("li");
    line.dataset.outcome = reason.outcome;
    const outcome = setText(document.createElement("span"), `benefits.outcome.${reason.outcome === "pass" || reason.outcome === "fail" ? reason.outcome : "missing"}`);
    outcome.className = "outcome";
    line.append(outcome, ": ", reason.text);
    list.append(line);
  }
  details.append(list);
  return details;
}

function detailRow(list, key, value) {
  if (!value) return;
  const term = setText(document.createElement("dt"), key);
  const description = document.createElement("dd");
  if (value instanceof Node) description.append(value);
  else description.textContent = value;
  list.append(term, description);
}

function dateElement(value, withTime = false) {
  return setDate(document.createElement("time"), value, { withTime });
}

/**
 * One permit as a list item. "latest" says whether it is its plate's latest application (a refusal
 * there is offered an appeal); "onCancel" asks the resident before cancelling it.
 */
export function drawPermit(permit, { latest, onCancel }) {
  const item = document.createElement("li");
  item.className = "permit";
  item.dataset.permit = permit.id;
  item.dataset.status = permit.status;
  const title = document.createElement("h4");
  title.tabIndex = -1;
  title.append(plateElement(permit.plate), " · ", permit.zone_name || t("parking.permit_no_zone"));
  const badge = setText(document.createElement("span"), STATES[permit.status] || "parking.state.ended");
  badge.className = "badge permit-state";
  badge.dataset.state = permit.status;
  item.append(title, badge, drawSteps(permit));

  const facts = document.createElement("dl");
  facts.className = "details";
  if (permit.valid_from) detailRow(facts, "parking.valid_from", dateElement(permit.valid_from));
  if (permit.last_valid_day) detailRow(facts, "parking.valid_until", dateElement(permit.last_valid_day));
  detailRow(facts, "parking.applied_on", dateElement(permit.applied_at, true));
  item.append(facts);
  const reasons = drawReasons(permit);
  if (reasons) item.append(reasons);
  if (permit.status === "refused" && latest) {
    item.append(appealControl(permit.decision_id, t("appeal.permit_name", { plate: permit.plate })));
  }

  if (permit.status === "active") {
    item.append(drawPass(permit));
    const actions = document.createElement("div");
    actions.className = "actions tight";
    const pdf = setText(document.createElement("button"), "parking.pass_pdf");
    pdf.type = "button";
    pdf.className = "button";
    pdf.dataset.file = "pdf";
    pdf.addEventListener("click", () => busy(pdf, () => download(permit, "pdf")));
    const svg = setText(document.createElement("button"), "parking.pass_svg");
    svg.type = "button";
    svg.className = "button";
    svg.dataset.file = "svg";
    svg.addEventListener("click", () => busy(svg, () => download(permit, "svg")));
    const cancel = setText(document.createElement("button"), "parking.cancel");
    cancel.type = "button";
    cancel.className = "button danger";
    cancel.setAttribute("aria-haspopup", "dialog");
    cancel.addEventListener("click", () => onCancel(permit));
    actions.append(pdf, svg, cancel);
    item.append(actions);
  }
  return item;
}

// --- the pass -------------------------------------------------------------------------------------

/** Whole device pixels per module, so a scanner reads every module the same size. */
export function fitPass(image) {
  const frame = image.parentElement;
  const room = frame ? frame.clientWidth : 0;
  const side = image.naturalWidth / PASS_BOX;
  if (!room || !side) return;
  const ratio = window.devicePixelRatio || 1;
  const module = Math.floor((room * ratio) / side);
  const size = module >= 2 ? (module * side) / ratio : room;
  image.style.width = `${size}px`;
  image.style.height = `${size}px`;
}

function drawPass(permit) {
  const box = document.createElement("div");
  box.className = "pass";
  const frame = document.createElement("div");
  frame.className = "qr-frame pass-frame";
  const image = document.createElement("img");
  image.className = "qr pass-qr";
  image.alt = t("parking.pass_alt", { plate: permit.plate });
  image.hidden = true;
  image.addEventListener("load", () => fitPass(image));
  const waiting = setText(document.createElement("p"), "parking.pass_loading");
  waiting.className = "qr-missing";
  frame.append(image, waiting);
  const hint = setText(document.createElement("p"), "parking.pass_hint");
  hint.className = "hint";
  box.append(frame, hint);
  showPass(permit, image, waiting);
  return box;
}

function asDataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

async function showPass(permit, image, waiting) {
  let source = passes.get(permit.pass_id);
  if (!source) {
    const file = await fetchFile(`/parking/permits/${encodeURIComponent(permit.id)}/pass.png`);
    if (file.status === 401) return goSignIn();
    if (!file.ok) {
      delete waiting.dataset.i18n;
      waiting.textContent = file.data.detail;
      return;
    }
    source = await asDataUrl(file.blob);
    passes.set(permit.pass_id, source);
  }
  image.src = source;
  image.hidden = false;
  waiting.hidden = true;
}

/** The pass as a file to print (PDF) or to keep (SVG), downloaded with the bearer token. */
async function download(permit, kind) {
  const file = await fetchFile(`/parking/permits/${encodeURIComponent(permit.id)}/pass.${kind}`);
  if (file.status === 401) return goSignIn();
  if (!file.ok) {
    announceDetail($("parking-status"), file.data.detail);
    return;
  }
  const address = URL.createObjectURL(file.blob);
  const link = document.createElement("a");
  link.href = address;
  link.download = `parking-pass-${permit.plate.replace(/\D/g, "")}.${kind}`;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(address), 60 * SECOND);
}
