// The wallet's parking: the zone of the resident's address, this month's free parking time and a
// session to start and stop, the permits with where each one stands and its pass (wallet-permits.js),
// and the household's vehicles. The wallet has this part only where the deployment runs parking, and
// the section shows only when /parking/me answers; a city that has not rolled parking out shows no
// trace of it.

import { call } from "./api.js";
import { formatDate, language, onLanguageChange, setText, t } from "./i18n.js";
import { announce, announceDetail, busy, clearMessage, goSignIn, labelOf, markInvalid, missing, values } from "./page.js";
import { isolated, plateElement } from "./parking-plate.js";
import { elapsedText, minutesText, runningItem, sessionItem } from "./parking-sessions.js";
import { appealGranted, loadAppeals, onAppealSent } from "./wallet-appeals.js";
import { drawPermit, fitPass } from "./wallet-permits.js";

const $ = (id) => document.getElementById(id);
const SECOND = 1000;

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
const RELATIONS = { owner: "parking.relation_short.owner", user: "parking.relation_short.user" };

let me = null; // the last answer of /parking/me (its zone names and reasons are in the page's language)
let zones = []; // /parking/zones: every zone and car park, named in three languages
let sessions = []; // /parking/sessions/me, newest first
let serverOffset = 0; // the server's clock minus this phone's, from the Date header
let ticker = null;
let confirming = null; // what the confirmation dialog will do when the resident says yes

/** Show a refusal: in our words when we know its code, else in the API's. */
function refuse(region, result) {
  const key = REFUSALS[result.data && result.data.error];
  if (key) announce(region, key, { tone: "error" });
  else announceDetail(region, result.data.detail);
}

function zoneName(code) {
  const zone = zones.find((candidate) => candidate.code === code);
  if (!zone) return code || "";
  return zone.names[language()] || zone.names.he || code;
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
  // An answer kept from before (no network) carries the Date of then, not the server's clock now.
  if (result.headers.get("Toshav-Offline") === "1") return;
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

function drawTime() {
  $("parking-minutes").textContent = minutesText(me.free_minutes);
  const now = sessions.filter((session) => session.status === "running");
  const list = $("parking-running");
  list.replaceChildren(
    ...now.map((session) => runningItem(session, { zoneName, offset: serverOffset, onStop: stopSession })),
  );
  list.hidden = now.length === 0;
  clearInterval(ticker);
  ticker = null;
  if (now.length) {
    ticker = setInterval(() => {
      for (const figure of list.querySelectorAll(".elapsed-figure")) {
        figure.textContent = elapsedText(figure.dataset.since, serverOffset);
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
  for (const session of shown) list.append(sessionItem(session, zoneName));
  $("sessions-empty").hidden = shown.length > 0;
}

function drawPermits() {
  const list = $("permit-list");
  const latest = latestByPlate();
  list.replaceChildren(
    ...me.permits.map((permit) =>
      drawPermit(permit, { latest: latest.get(permit.plate) === permit, onCancel: confirmCancel }),
    ),
  );
  $("permits-empty").hidden = me.permits.length > 0;
  // The vehicles with no permit in force for the address's zone (any zone, if it is in none).
  const covered = new Set(
    me.permits
      .filter((permit) => permit.status === "active" && (!me.zone || permit.zone === me.zone))
      .map((permit) => permit.plate),
  );
  // A plate refused a permit is not offered again unless a clerk granted its appeal.
  for (const [plate, permit] of latest) {
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
