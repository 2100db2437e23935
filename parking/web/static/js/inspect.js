// The inspector's scanner: scan a pass with the camera (scan.js, in every browser with one) or type
// a plate, and see at a glance whether the vehicle may park here. The verdict comes from the API; with
// no network (or the API out of reach) a scanned pass is judged on the phone from the offline bundle,
// the check is queued, and it is sent to the city when the network returns. The page itself is kept
// by a service worker (inspect-worker.js), so it opens again with no network.

import { call } from "./api.js";
import { formatDate, language, onLanguageChange, setText } from "./i18n.js";
import {
  BUNDLE_REFRESH_MS,
  MAX_INSPECTION_AGE_DAYS,
  cityNow,
  enqueue,
  queued,
  refreshBundle,
  refreshRevocations,
  sendQueued,
  storedBundle,
} from "./inspect-offline.js";
import { PlaceOutsideZones, StaleBundle, UnknownZone, instant, judgeOffline } from "./offline-judge.js";
import { announce, announceDetail, busy, clearMessage, goSignIn, start, tokens } from "./page.js";
import { CameraRefused, canScan, scanQr } from "./scan.js";

// Spelled out, so each reason's text is known to be in the dictionaries.
const REASONS = {
  valid_permit: "inspect.reason.valid_permit",
  active_session: "inspect.reason.active_session",
  expired: "inspect.reason.expired",
  revoked: "inspect.reason.revoked",
  wrong_zone: "inspect.reason.wrong_zone",
  unknown_vehicle: "inspect.reason.unknown_vehicle",
  no_permit: "inspect.reason.no_permit",
  bad_signature: "inspect.reason.bad_signature",
  malformed: "inspect.reason.malformed",
  not_a_pass: "inspect.reason.not_a_pass",
  not_yet_valid: "inspect.reason.not_yet_valid",
};

const $ = (id) => document.getElementById(id);
const form = $("inspect-form");
const zoneSelect = $("zone");
const plate = $("plate");
const pass = $("pass");
const status = $("status");
const verdict = $("verdict");
const scanButton = $("scan");
const video = $("camera");

// An online check waits this long for the API before the pass is judged on the phone instead.
const ONLINE_WAIT_MS = 5000;
// While the page is open and online: revocations every minute, the whole bundle every quarter hour.
const TICK_MS = 60 * 1000;
// Statuses that mean the API is out of reach (the network, or a proxy with no app behind it).
const UNREACHABLE = new Set([0, 502, 503, 504]);

let zones = [];
let lastVerdict = null;
let position = null;
let scanning = null;
let unreachable = false;
let dropped = { tooOld: 0, refused: 0 };
let signInToSend = false;

await start();

function gate(key) {
  const note = $("inspect-gate");
  setText(note, key);
  note.hidden = false;
}

function zoneName(zone) {
  return zone.names[language()] || zone.names.he || zone.code;
}

function fillZones() {
  const chosen = zoneSelect.value;
  for (const option of [...zoneSelect.options]) {
    if (option.value && option.value !== "@gps") option.remove();
  }
  for (const zone of zones) {
    const option = document.createElement("option");
    option.value = zone.code;
    option.textContent = zoneName(zone);
    zoneSelect.append(option);
  }
  zoneSelect.value = chosen;
}

async function loadZones() {
  const result = await call("/parking/zones", { auth: false });
  if (result.ok) {
    zones = result.data;
  } else {
    // No network: the zones the offline bundle holds.
    const record = await storedBundle();
    if (record) zones = record.bundle.zones;
  }
  fillZones();
}

function showVerdict(answer) {
  lastVerdict = answer;
  verdict.dataset.allowed = String(answer.allowed);
  verdict.querySelector(".verdict-mark").textContent = answer.allowed ? "✓" : "✗";
  setText($("verdict-word"), answer.allowed ? "inspect.allowed" : "inspect.not_allowed");
  setText($("verdict-reason"), REASONS[answer.reason] || "inspect.reason.other");
  const zone = zones.find((z) => z.code === answer.zone);
  const zoneLine = $("verdict-zone");
  zoneLine.hidden = !answer.zone;
  if (answer.zone) setText(zoneLine, "inspect.for_zone", { zone: zone ? zoneName(zone) : answer.zone });
  const until = $("verdict-until");
  until.hidden = !answer.last_valid_day;
  if (answer.last_valid_day) setText(until, "inspect.until", { date: formatDate(answer.last_valid_day) });
  const offline = $("verdict-offline");
  offline.hidden = !answer.offline;
  if (answer.offline) setText(offline, "inspect.judged_offline", { date: formatDate(answer.bundleFetched, { withTime: true }) });
  // What was decided, for a reader that is not a person (and for the tests).
  verdict.dataset.reason = answer.reason;
  verdict.dataset.judged = answer.offline ? "offline" : "online";
  verdict.dataset.zone = answer.zone || "";
  verdict.dataset.validUntil = answer.valid_until || "";
  verdict.dataset.lastValidDay = answer.last_valid_day || "";
  verdict.hidden = false;
}

onLanguageChange(() => {
  fillZones();
  if (lastVerdict) showVerdict(lastVerdict);
  showDeviceState();
});

function locate() {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null);
    navigator.geolocation.getCurrentPosition(
      (found) => resolve({ lat: found.coords.latitude, lon: found.coords.longitude }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 30000 },
    );
  });
}

async function place() {
  if (zoneSelect.value === "@gps") {
    announce(status, "inspect.locating");
    position = await locate();
    if (!position) {
      announce(status, "inspect.no_location", { tone: "error" });
      return null;
    }
    return { lat: position.lat, lon: position.lon };
  }
  return zoneSelect.value ? { zone: zoneSelect.value } : {};
}

async function check() {
  verdict.hidden = true;
  const token = pass.value.trim();
  const typed = plate.value.trim();
  if (!token && !typed) {
    announce(status, "inspect.need_input", { tone: "error" });
    plate.focus();
    return;
  }
  const where = await place();
  if (where === null) return;
  if (!token && !where.zone && where.lat === undefined) {
    announce(status, "inspect.need_zone", { tone: "error" });
    zoneSelect.focus();
    return;
  }
  announce(status, "inspect.checking");
  const body = token ? { pass: token, ...where } : { plate: typed, ...where };
  let result = { ok: false, status: 0 };
  if (navigator.onLine !== false) {
    result = await call("/parking/inspections", {
      method: "POST",
      json: body,
      signal: AbortSignal.timeout(ONLINE_WAIT_MS),
    });
  }
  if (UNREACHABLE.has(result.status)) {
    await noNetwork(true);
    if (token) await checkOffline(token, where);
    else announce(status, "inspect.offline_plate", { tone: "error" });
    return;
  }
  await noNetwork(false);
  if (result.ok) {
    clearMessage(status);
    showVerdict(result.data);
    verdict.focus();
    sendWaiting(); // the network is here: the checks made without it can go now
  } else if (result.status === 401) {
    goSignIn();
  } else {
    announceDetail(status, result.data.detail);
  }
}

/** Judge a pass on the phone, from the bundle it keeps; queue the check for the city's record. */
async function checkOffline(token, where) {
  const record = await storedBundle();
  if (!record) {
    announce(status, "inspect.offline_no_bundle", { tone: "error" });
    return;
  }
  const now = cityNow(record);
  let answer;
  try {
    answer = await judgeOffline(token, record.bundle, {
      now,
      zone: where.zone ?? null,
      longitude: where.lon ?? null,
      latitude: where.lat ?? null,
    });
  } catch (error) {
    if (error instanceof StaleBundle) announce(status, "inspect.offline_stale", { tone: "error" });
    else if (error instanceof UnknownZone) announce(status, "inspect.offline_unknown_zone", { tone: "error" });
    else if (error instanceof PlaceOutsideZones) announce(status, "inspect.offline_outside", { tone: "error" });
    else throw error;
    return;
  }
  clearMessage(status);
  showVerdict({ ...answer, offline: true, bundleFetched: new Date(record.fetched_at).toISOString() });
  verdict.focus();
  try {
    await enqueue({ pass: token, ...where, at: new Date(now).toISOString() });
  } catch {
    announce(status, "inspect.queue_failed", { tone: "error" });
  }
  await showDeviceState();
}

// --- what the phone keeps: the page, the offline bundle, the checks waiting to be sent ----------

function keepPageOffline() {
  if (!("serviceWorker" in navigator)) return;
  const state = $("offline-state");
  const mark = () => {
    if (navigator.serviceWorker.controller) state.dataset.pageOffline = "ready";
  };
  navigator.serviceWorker.addEventListener("controllerchange", mark);
  mark();
  navigator.serviceWorker.register("/static/js/inspect-worker.js", { scope: "/inspect" }).catch(() => {
    // No worker (storage off): the page works online, and judges offline while it stays open.
  });
}

async function noNetwork(gone) {
  if (unreachable === gone) return;
  unreachable = gone;
  await showDeviceState();
}

/** Say what the phone holds: when the bundle was fetched and until when it may judge; the queue. */
async function showDeviceState() {
  $("network-state").hidden = !(unreachable || navigator.onLine === false);
  const record = await storedBundle();
  const now = cityNow(record);
  const line = $("bundle-state");
  if (!record) {
    line.dataset.tone = "error";
    setText(line, "inspect.bundle_missing");
  } else {
    const expires = instant(record.bundle.expires_at);
    const dates = {
      fetched: formatDate(new Date(record.fetched_at).toISOString(), { withTime: true }),
      expires: formatDate(new Date(expires).toISOString(), { withTime: true }),
      checked: formatDate(new Date(record.checked_at).toISOString(), { withTime: true }),
    };
    line.dataset.tone = now >= expires ? "error" : "ok";
    setText(line, now >= expires ? "inspect.bundle_expired" : "inspect.bundle_ready", dates);
    line.dataset.fetchedAt = String(record.fetched_at);
    line.dataset.checkedAt = String(record.checked_at);
    line.dataset.expired = String(now >= expires);
  }
  const waiting = await queued();
  const queue = $("queue-state");
  queue.dataset.count = String(waiting.length);
  queue.dataset.tone = "wait";
  queue.hidden = waiting.length === 0;
  if (waiting.length) {
    setText(queue, signInToSend ? "inspect.queue_sign_in" : "inspect.queue_waiting", {
      count: waiting.length,
      date: formatDate(waiting[0].body.at, { withTime: true }),
      days: MAX_INSPECTION_AGE_DAYS,
    });
  }
  const lost = $("queue-dropped");
  lost.dataset.tone = "error";
  lost.hidden = !(dropped.tooOld || dropped.refused);
  if (dropped.tooOld) {
    setText(lost, "inspect.queue_too_old", { count: dropped.tooOld, days: MAX_INSPECTION_AGE_DAYS });
  } else if (dropped.refused) {
    setText(lost, "inspect.queue_refused", { count: dropped.refused });
  }
}

/** Send the checks made with no network; say if the city refused any for good. */
async function sendWaiting() {
  if (!(await queued()).length) return;
  const outcome = await sendQueued();
  dropped = { tooOld: dropped.tooOld + outcome.tooOld, refused: dropped.refused + outcome.refused };
  signInToSend = outcome.signIn;
  await showDeviceState();
}

/** Fetch a fresh bundle when there is none or it is old, else the revocations since the last ask. */
async function refreshDevice({ whole = false } = {}) {
  const record = await storedBundle();
  const stale = !record || whole || cityNow(record) - record.fetched_at >= BUNDLE_REFRESH_MS;
  const result = await (stale ? refreshBundle() : refreshRevocations());
  if (result.status === 401 && whole) goSignIn();
  await noNetwork(UNREACHABLE.has(result.status));
  await showDeviceState();
  return result;
}

async function tick() {
  if (navigator.onLine === false) {
    await showDeviceState();
    return;
  }
  await refreshDevice();
  if (!unreachable) await sendWaiting();
}

function wireDevice() {
  const refresh = $("bundle-refresh");
  refresh.addEventListener("click", async (event) => {
    await busy(event.currentTarget, async () => {
      announce(status, "inspect.bundle_refreshing");
      const result = await refreshDevice({ whole: true });
      if (result.ok) announce(status, "inspect.bundle_refreshed", { tone: "ok" });
      else if (UNREACHABLE.has(result.status)) announce(status, "inspect.bundle_refresh_failed", { tone: "error" });
      else announceDetail(status, result.data.detail);
      if (result.ok) await sendWaiting();
    });
  });
  refresh.disabled = false; // the page comes with it disabled: a tap before this line would be lost
  window.addEventListener("online", tick);
  window.addEventListener("offline", () => showDeviceState());
  setInterval(tick, TICK_MS);
  tick();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  await busy(form.querySelector("button[type=submit]"), check);
});

$("clear").addEventListener("click", () => {
  plate.value = "";
  pass.value = "";
  verdict.hidden = true;
  lastVerdict = null;
  clearMessage(status);
  plate.focus();
});

// Typing a plate replaces a scanned pass, and a scanned pass a typed plate.
plate.addEventListener("input", () => {
  if (plate.value) pass.value = "";
});
pass.addEventListener("input", () => {
  if (pass.value) plate.value = "";
});

// --- the camera: the browser's own QR reader, or ZXing in a worker (scan.js); typing otherwise ---

async function offerCamera() {
  if (await canScan()) {
    scanButton.hidden = false;
  } else {
    setText($("pass-hint"), "inspect.pass_hint_no_camera");
  }
}

function stopScanning() {
  if (scanning) scanning.stop();
  scanning = null;
  video.hidden = true;
  setText(scanButton, "inspect.scan");
}

async function scan() {
  if (scanning) {
    stopScanning();
    return;
  }
  const reading = (scanning = scanQr(video));
  video.hidden = false;
  setText(scanButton, "inspect.scan_stop");
  announce(status, "inspect.scanning");
  let text;
  try {
    text = await reading.found;
  } catch (error) {
    if (scanning === reading) stopScanning();
    announce(status, error instanceof CameraRefused ? "inspect.camera_denied" : "inspect.pass_hint_no_camera", { tone: "error" });
    return;
  }
  if (scanning !== reading || !text) return; // stopped by the inspector
  stopScanning();
  pass.value = text;
  plate.value = "";
  await check();
}

scanButton.addEventListener("click", scan);

// Every control is wired above before anything loads: a tap while the zones are on their way is
// the page's to answer, never the browser's own submission of the form.
if (!tokens.signedIn) {
  goSignIn();
} else if (!tokens.roles.includes("inspector")) {
  gate("inspect.inspectors_only");
} else {
  $("inspect-tool").hidden = false;
  keepPageOffline();
  await showDeviceState();
  await loadZones();
  offerCamera();
  wireDevice();
}
