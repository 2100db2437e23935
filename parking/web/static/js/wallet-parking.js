// The wallet's parking: the zone of the resident's address, this month's free parking time and a
// session to start and stop, the permits with where each one stands and its pass, and the
// household's vehicles. The wallet has this part only where the deployment runs parking, and the
// section shows only when /parking/me answers; a city that has not rolled parking out shows no trace of it.
//
// The pass QR and its printable files need this tab's bearer token, so they are fetched with it
// (api.js's fetchFile): the QR is shown as a data: URL (the page's CSP allows 'self' and data:
// images), the PDF and SVG are handed to the browser as downloads.

import { call, fetchFile } from "./api.js";
import { formatDate, formatTime, language, onLanguageChange, setDate, setText, t } from "./i18n.js";
import { announce, announceDetail, busy, clearMessage, goSignIn, labelOf, markInvalid, missing, values } from "./page.js";
import { appealControl, appealGranted, loadAppeals, onAppealSent } from "./wallet-appeals.js";
import { formatAmount } from "./wallet-sections.js";

const $ = (id) => document.getElementById(id);
const SECOND = 1000;
const PASS_BOX = 10; // pixels per module in the API's PNG (resident_card/credentials/qr.py)

// The API's refusals a resident can act on, in our words (they follow a switch of language).
// Any other refusal is shown in the API's own words, which come in the page's language too.
const REFUSALS = {
  invalid_plate: "parking.error.invalid_plate",
  plate_taken: "parking.error.plate_taken",
  vehicle_limit: "parking.error.vehicle_limit",
  vehicle_parked: "parking.error.vehicle_parked",
  vehicle_not_found: "parking.error.vehicle_not_found",
  permit_active: "parking.error.permit_active",
  permit_not_active: "parking.error.permit_not_active",
  session_running: "parking.error.session_running",
  no_zone_here: "parking.error.no_zone_here",
};
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
const RELATIONS = { owner: "parking.relation_short.owner", user: "parking.relation_short.user" };

let me = null; // the last answer of /parking/me (its zone names and reasons are in the page's language)
let zones = []; // /parking/zones: every zone and car park, named in three languages
let sessions = []; // /parking/sessions/me, newest first
let serverOffset = 0; // the server's clock minus this phone's, from the Date header
const passes = new Map(); // pass id -> data: URL of its QR (a pass never changes while it lasts)
let ticker = null;
let confirming = null; // what the confirmation dialog will do when the resident says yes

/** Show a refusal: in our words when we know its code, else in the API's. */
function refuse(region, result) {
  const key = REFUSALS[result.data && result.data.error];
  if (key) announce(region, key, { tone: "error" });
  else announceDetail(region, result.data.detail);
}

/** A plate as written on the car, kept left to right inside Hebrew and Arabic sentences. */
function plateElement(plate) {
  const element = document.createElement("bdi");
  element.dir = "ltr";
  element.className = "plate";
  element.textContent = plate;
  return element;
}

/** U+2066..U+2069 isolate a plate inside a sentence built by t(): "12-345-67" stays in order in RTL. */
function isolated(plate) {
  return `\u2066${plate}\u2069`;
}

function zoneName(code) {
  const zone = zones.find((candidate) => candidate.code === code);
  if (!zone) return code || "";
  return zone.names[language()] || zone.names.he || code;
}

function minutesText(minutes) {
  return formatAmount(minutes || 0, "PARKING_MIN");
}

// --- loading --------------------------------------------------------------------------------------

/** Each plate's latest application: a refusal there is shown with its appeal, and not offered. */
function latestByPlate() {
  const latest = new Map();
  for (const permit of me.permits) {
    const before = latest.get(permit.plate);
    if (!before || permit.applied_at > before.applied_at) latest.set(permit.plate, permit);
  }
  return latest;
}

async function loadMe() {
  const [result] = await Promise.all([call("/parking/me"), loadAppeals()]);
  if (result.status === 401) {
    goSignIn();
    return false;
  }
  if (!result.ok) {
    // No parking in this deployment (404), or nothing of it for this account: no section at all.
    if (result.status === 404 || result.status === 403) {
      $("parking").hidden = true;
      return false;
    }
    announceDetail($("parking-status"), result.data.detail);
    return Boolean(me);
  }
  me = result.data;
  return true;
}

async function loadZones() {
  const result = await call("/parking/zones");
  if (result.ok && Array.isArray(result.data)) zones = result.data;
}

async function loadSessions() {
  const result = await call("/parking/sessions/me");
  if (result.status === 401) return goSignIn();
  if (!result.ok || !Array.isArray(result.data)) return;
  sessions = result.data;
  const served = Date.parse(result.headers.get("Date") || "");
  if (!Number.isNaN(served)) serverOffset = served - Date.now();
}

/** Everything again, after a change (a vehicle, a permit, a session) or a switch of language. */
async function reload() {
  if (!(await loadMe())) return;
  await loadSessions();
  draw();
}

// --- drawing --------------------------------------------------------------------------------------

function draw() {
  if (!me) return;
  drawZone();
  drawOffer();
  drawTime();
  drawPermits();
  drawVehicles();
  $("parking").hidden = false;
}

function drawZone() {
  const line = $("parking-zone");
  if (me.zone) setText(line, "parking.zone_is", { zone: me.zone_name || zoneName(me.zone) });
  else setText(line, "parking.no_zone");
}

/** What the resident may apply for now (after registering a vehicle, or after a move), one tap each. */
function drawOffer() {
  const box = $("parking-offer");
  const offer = me.offer;
  box.hidden = !offer;
  if (!offer) return;
  // Moved: a permit still in force for a zone that is no longer the address's.
  const old = me.permits.find((permit) => permit.status === "active" && permit.zone && permit.zone !== offer.zone);
  const moved = $("parking-moved");
  moved.hidden = !old;
  if (old) setText(moved, "parking.moved", { zone: offer.zone_name, old: old.zone_name || zoneName(old.zone) });
  setText($("parking-offer-text"), "parking.offer", { zone: offer.zone_name });
  const actions = $("parking-offer-actions");
  actions.replaceChildren();
  for (const plate of offer.plates) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button primary";
    button.dataset.plate = plate;
    setText(button, "parking.offer_apply", { plate: isolated(plate) });
    button.addEventListener("click", () => busy(button, () => applyFor(plate, $("parking-status"))));
    actions.append(button);
  }
}

function fillPlates(select, plates) {
  const before = select.value;
  select.replaceChildren();
  for (const plate of plates) {
    const option = document.createElement("option");
    option.value = plate;
    option.textContent = plate;
    option.dir = "ltr";
    select.append(option);
  }
  if (plates.includes(before)) select.value = before;
}

function fillZones(select) {
  const before = select.value;
  select.replaceChildren();
  const groups = [
    ["residential", "parking.zones_group"],
    ["lot", "parking.lots_group"],
  ];
  for (const [kind, key] of groups) {
    const group = document.createElement("optgroup");
    group.label = t(key);
    for (const zone of zones.filter((candidate) => candidate.kind === kind)) {
      const option = document.createElement("option");
      option.value = zone.code;
      option.dataset.kind = zone.kind;
      option.textContent = zoneName(zone.code);
      group.append(option);
    }
    if (group.children.length) select.append(group);
  }
  if (before && zones.some((zone) => zone.code === before)) select.value = before;
  else if (me.zone) select.value = me.zone;
}

function elapsedText(startedAt) {
  const seconds = Math.max(0, Math.floor((Date.now() + serverOffset - Date.parse(startedAt)) / SECOND));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return `${hours}:${String(minutes).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;
}

/** One vehicle parked now: where, since when, for how long so far, and the button that stops it. */
function drawRunning(session) {
  const item = document.createElement("li");
  item.className = "parking-running";
  item.dataset.session = session.id;
  const title = setText(document.createElement("p"), "parking.running");
  title.className = "running-title";
  const what = setText(document.createElement("p"), "parking.running_what", {
    plate: isolated(session.plate),
    zone: zoneName(session.zone),
    time: formatTime(new Date(session.started_at)),
  });
  what.className = "running-what";
  const elapsed = document.createElement("p");
  elapsed.className = "elapsed";
  const figure = document.createElement("span");
  figure.className = "elapsed-figure";
  figure.setAttribute("role", "timer");
  figure.dir = "ltr";
  figure.dataset.since = session.started_at;
  figure.textContent = elapsedText(session.started_at);
  elapsed.append(setText(document.createElement("span"), "parking.elapsed"), " ", figure);
  const stop = setText(document.createElement("button"), "parking.stop");
  stop.type = "button";
  stop.className = "button primary";
  stop.setAttribute("aria-label", t("parking.stop_label", { plate: session.plate })); // two cars, two buttons
  stop.addEventListener("click", () => stopSession(session, stop));
  item.append(title, what, elapsed, stop);
  return item;
}

function drawTime() {
  $("parking-minutes").textContent = minutesText(me.free_minutes);
  const now = sessions.filter((session) => session.status === "running");
  const list = $("parking-running");
  list.replaceChildren(...now.map(drawRunning));
  list.hidden = now.length === 0;
  clearInterval(ticker);
  ticker = null;
  if (now.length) {
    ticker = setInterval(() => {
      for (const figure of list.querySelectorAll(".elapsed-figure")) {
        figure.textContent = elapsedText(figure.dataset.since);
      }
    }, SECOND);
  }
  // A vehicle that is parked now cannot start again; the form is for the others.
  const parked = new Set(sessions.filter((session) => session.status === "running").map((session) => session.plate));
  const plates = me.vehicles.map((vehicle) => vehicle.plate).filter((plate) => !parked.has(plate));
  $("session-needs-vehicle").hidden = me.vehicles.length > 0;
  $("session-form").hidden = plates.length === 0 || zones.length === 0;
  fillPlates($("session-plate"), plates);
  fillZones($("session-zone"));
  $("parking-locate").hidden = !("geolocation" in navigator);
  drawSessions();
}

function drawSessions() {
  const list = $("session-list");
  list.replaceChildren();
  const shown = sessions.slice(0, 10);
  for (const session of shown) {
    const item = document.createElement("li");
    item.dataset.status = session.status;
    const what = document.createElement("p");
    what.className = "session-what";
    what.append(plateElement(session.plate), ` · ${zoneName(session.zone)}`);
    const when = document.createElement("time");
    when.className = "session-when";
    setDate(when, session.started_at, { withTime: true });
    const figures = document.createElement("p");
    figures.className = "session-figures";
    if (session.status === "running") setText(figures, "parking.session_running");
    else {
      setText(figures, "parking.session_minutes", {
        minutes: minutesText(session.minutes),
        free: minutesText(session.free_minutes),
        paid: minutesText(session.paid_minutes),
      });
    }
    item.append(what, when, figures);
    list.append(item);
  }
  $("sessions-empty").hidden = shown.length > 0;
}

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

function drawPermit(permit) {
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
  if (permit.status === "refused" && latestByPlate().get(permit.plate) === permit) {
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
    cancel.addEventListener("click", () => confirmCancel(permit));
    actions.append(pdf, svg, cancel);
    item.append(actions);
  }
  return item;
}

function drawPermits() {
  const list = $("permit-list");
  list.replaceChildren(...me.permits.map(drawPermit));
  $("permits-empty").hidden = me.permits.length > 0;
  // The vehicles with no permit in force for the address's zone (any zone, if it is in none).
  const covered = new Set(
    me.permits
      .filter((permit) => permit.status === "active" && (!me.zone || permit.zone === me.zone))
      .map((permit) => permit.plate),
  );
  // A plate refused a permit is not offered again unless a clerk granted its appeal.
  for (const [plate, permit] of latestByPlate()) {
    if (permit.status === "refused" && !appealGranted(permit.decision_id)) covered.add(plate);
  }
  const plates = me.vehicles.map((vehicle) => vehicle.plate).filter((plate) => !covered.has(plate));
  $("permit-form").hidden = plates.length === 0;
  fillPlates($("permit-plate"), plates);
}

function drawVehicles() {
  const list = $("vehicle-list");
  list.replaceChildren();
  for (const vehicle of me.vehicles) {
    const item = document.createElement("li");
    item.dataset.vehicle = vehicle.id;
    const about = document.createElement("div");
    about.className = "vehicle-about";
    const plate = plateElement(vehicle.plate);
    plate.classList.add("plate-big");
    const relation = setText(document.createElement("span"), RELATIONS[vehicle.relation] || "parking.relation_short.user");
    relation.className = "vehicle-relation";
    about.append(plate, relation);
    if (!vehicle.registered_by_me) {
      const by = setText(document.createElement("span"), "parking.by_household");
      by.className = "vehicle-by";
      about.append(by);
    }
    const remove = setText(document.createElement("button"), "parking.remove");
    remove.type = "button";
    remove.className = "button danger";
    remove.setAttribute("aria-haspopup", "dialog");
    remove.setAttribute("aria-label", t("parking.remove_label", { plate: vehicle.plate }));
    remove.addEventListener("click", () => confirmRemove(vehicle));
    item.append(about, remove);
    list.append(item);
  }
  $("vehicles-empty").hidden = me.vehicles.length > 0;
}

// --- the pass -------------------------------------------------------------------------------------

/** Whole device pixels per module, so a scanner reads every module the same size. */
function fitPass(image) {
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

// --- what the resident does ----------------------------------------------------------------------

async function applyFor(plate, region) {
  const result = await call("/parking/permits", { method: "POST", json: { plate } });
  if (result.status === 401) return goSignIn();
  if (!result.ok) {
    refuse(region, result);
    return;
  }
  const permit = result.data;
  await reload();
  if (permit.status === "active") {
    announce(region, "parking.granted", {
      tone: "ok",
      params: { plate: isolated(permit.plate), zone: permit.zone_name, date: formatDate(permit.last_valid_day) },
    });
  } else {
    announce(region, "parking.refused", { tone: "error", params: { plate: isolated(permit.plate) } });
  }
  // The button pressed may be gone (the offer is met): go on from the permit it gave.
  const drawn = document.querySelector(`li.permit[data-permit="${CSS.escape(permit.id)}"] h4`);
  if (drawn) drawn.focus();
}

async function registerVehicle(event) {
  event.preventDefault();
  const form = $("vehicle-form");
  const status = $("vehicle-status");
  const empty = missing(form);
  if (empty.length) {
    const fields = empty.map((name) => labelOf(form, name)).join(", ");
    announce(status, "form.missing", { tone: "error", params: { fields } });
    markInvalid(form, empty);
    return;
  }
  const data = values(form);
  await busy(form.querySelector("button[type=submit]"), async () => {
    const result = await call("/parking/vehicles", {
      method: "POST",
      json: { plate: data.plate, relation: data.relation },
    });
    if (result.status === 401) return goSignIn();
    if (!result.ok) {
      refuse(status, result);
      if (result.data.error === "invalid_plate") markInvalid(form, ["plate"]);
      return;
    }
    markInvalid(form, []);
    form.reset();
    await reload();
    announce(status, "parking.registered", { tone: "ok", params: { plate: isolated(result.data.plate) } });
  });
}

async function startSession(event) {
  event.preventDefault();
  const form = $("session-form");
  const status = $("session-status");
  const plate = $("session-plate").value;
  const option = $("session-zone").selectedOptions[0];
  if (!plate || !option) {
    const names = [!plate && "plate", !option && "zone"].filter(Boolean);
    announce(status, "form.missing", {
      tone: "error",
      params: { fields: names.map((name) => labelOf(form, name)).join(", ") },
    });
    return;
  }
  const place = option.dataset.kind === "lot" ? { lot: option.value } : { zone: option.value };
  await busy(form.querySelector("button[type=submit]"), async () => {
    const result = await call("/parking/sessions", { method: "POST", json: { plate, ...place } });
    if (result.status === 401) return goSignIn();
    if (!result.ok) {
      refuse(status, result);
      if (result.data.error === "session_running") await reload(); // parked from another phone: show it
      return;
    }
    await reload();
    // What comes next is stopping it (the form may be gone: no other vehicle to park).
    const stop = document.querySelector(`#parking-running li[data-session="${CSS.escape(result.data.id)}"] button`);
    if (stop) stop.focus();
    announce(status, "parking.started", {
      tone: "ok",
      params: { plate: isolated(result.data.plate), zone: zoneName(result.data.zone) },
    });
  });
}

async function stopSession(session, button) {
  const status = $("session-status");
  await busy(button, async () => {
    const result = await call(`/parking/sessions/${encodeURIComponent(session.id)}/stop`, { method: "POST" });
    if (result.status === 401) return goSignIn();
    if (!result.ok) {
      refuse(status, result);
      return;
    }
    const done = result.data;
    await reload();
    // The stop button is gone with its session: on to starting again, or to the section.
    const form = $("session-form");
    if (!form.hidden) form.querySelector("button[type=submit]").focus();
    else $("parking-heading").focus();
    announce(status, "parking.stopped", {
      tone: "ok",
      params: {
        minutes: minutesText(done.minutes),
        free: minutesText(done.free_minutes),
        paid: minutesText(done.paid_minutes),
      },
    });
  });
}

/** The zone of the phone's position, picked in the list, when the resident lets the browser say. */
function locate() {
  const status = $("session-status");
  announce(status, "parking.locating");
  navigator.geolocation.getCurrentPosition(
    async (position) => {
      const query = new URLSearchParams({
        lat: String(position.coords.latitude),
        lon: String(position.coords.longitude),
      });
      const result = await call(`/parking/zones/at?${query}`);
      if (!result.ok) {
        refuse(status, result);
        return;
      }
      $("session-zone").value = result.data.code;
      announce(status, "parking.located", { tone: "ok", params: { zone: zoneName(result.data.code) } });
    },
    (error) => {
      announce(status, error.code === error.PERMISSION_DENIED ? "parking.locate_denied" : "parking.locate_failed", {
        tone: "error",
      });
    },
    // A fresh fix: the resident asks where they are now, not where they were a minute ago.
    { enableHighAccuracy: true, timeout: 15 * SECOND, maximumAge: 0 },
  );
}

// --- asking once more -----------------------------------------------------------------------------

let opener = null;

function askFirst({ title, explain, yes, params, action }) {
  opener = document.activeElement;
  setText($("parking-confirm-title"), title, params);
  setText($("parking-confirm-explain"), explain, params);
  setText($("parking-confirm-yes"), yes);
  clearMessage($("parking-confirm-status"));
  confirming = action;
  $("parking-confirm").showModal();
}

function confirmCancel(permit) {
  askFirst({
    title: "parking.cancel_title",
    explain: "parking.cancel_explain",
    yes: "parking.cancel_confirm",
    params: { plate: isolated(permit.plate), zone: permit.zone_name || "" },
    action: async () => {
      const result = await call(`/parking/permits/${encodeURIComponent(permit.id)}/cancel`, { method: "POST" });
      if (!result.ok) return result;
      await reload();
      announce($("parking-status"), "parking.cancelled", { tone: "ok", params: { plate: isolated(permit.plate) } });
      return result;
    },
  });
}

function confirmRemove(vehicle) {
  askFirst({
    title: "parking.remove_title",
    explain: "parking.remove_explain",
    yes: "parking.remove_confirm",
    params: { plate: isolated(vehicle.plate) },
    action: async () => {
      const result = await call(`/parking/vehicles/${encodeURIComponent(vehicle.id)}`, { method: "DELETE" });
      if (!result.ok) return result;
      await reload();
      announce($("vehicle-list-status"), "parking.removed", { tone: "ok", params: { plate: isolated(vehicle.plate) } });
      return result;
    },
  });
}

async function confirmed(event) {
  event.preventDefault();
  const action = confirming;
  if (!action) return;
  await busy($("parking-confirm-yes"), async () => {
    const result = await action();
    if (result.status === 401) return goSignIn();
    if (!result.ok) {
      refuse($("parking-confirm-status"), result);
      reload(); // the permit or vehicle may have changed elsewhere: show it as it is now
      return;
    }
    confirming = null;
    $("parking-confirm").close();
  });
}

// --- start ----------------------------------------------------------------------------------------

let started = false;

function wire() {
  $("vehicle-form").addEventListener("submit", registerVehicle);
  $("session-form").addEventListener("submit", startSession);
  $("parking-locate").addEventListener("click", locate);
  $("permit-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const plate = $("permit-plate").value;
    if (!plate) return;
    await busy($("permit-form").querySelector("button[type=submit]"), () => applyFor(plate, $("permit-status")));
  });
  $("parking-confirm-form").addEventListener("submit", confirmed);
  $("parking-confirm-no").addEventListener("click", () => $("parking-confirm").close());
  $("parking-confirm").addEventListener("close", () => {
    confirming = null;
    if (opener && opener.isConnected) opener.focus();
    else $("parking-heading").focus();
    opener = null;
  });
  window.addEventListener("resize", () => {
    for (const image of document.querySelectorAll("#permit-list img.pass-qr")) fitPass(image);
  });
  onLanguageChange(() => {
    if (me) reload(); // zone names and the decisions' reasons come in the language asked for
  });
  onAppealSent(() => draw());
}

/** Show the resident's parking (the wallet starts each of its parts so). */
export async function startPart() {
  if (!started) {
    started = true;
    wire();
  }
  const [shown] = await Promise.all([loadMe(), loadZones()]);
  if (!shown) return;
  await loadSessions();
  draw();
}
