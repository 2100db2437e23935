// The inspector's scanner: scan a pass (the camera, where the browser can read QR codes) or type a
// plate, and see at a glance whether the vehicle may park here. The verdict comes from the API.

import { call } from "./api.js";
import { formatDate, language, onLanguageChange, setText } from "./i18n.js";
import { announce, announceDetail, busy, clearMessage, goSignIn, start, tokens } from "./page.js";

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

let zones = [];
let lastVerdict = null;
let position = null;
let scanning = null;

await start();

function gate(key) {
  const note = $("inspect-gate");
  setText(note, key);
  note.hidden = false;
}

if (!tokens.signedIn) {
  goSignIn();
} else if (!tokens.roles.includes("inspector")) {
  gate("inspect.inspectors_only");
} else {
  $("inspect-tool").hidden = false;
  await loadZones();
  offerCamera();
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
    fillZones();
  }
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
  until.hidden = !answer.valid_until;
  if (answer.valid_until) {
    // A permit ends at the midnight after its last day: show that day.
    const lastDay = new Date(Date.parse(answer.valid_until) - 1).toISOString();
    setText(until, "inspect.until", { date: formatDate(lastDay) });
  }
  verdict.hidden = false;
}

onLanguageChange(() => {
  fillZones();
  if (lastVerdict) showVerdict(lastVerdict);
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
  const result = await call("/parking/inspections", { method: "POST", json: body });
  if (result.ok) {
    clearMessage(status);
    showVerdict(result.data);
    verdict.focus();
  } else if (result.status === 401) {
    goSignIn();
  } else {
    announceDetail(status, result.data.detail);
  }
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

// --- the camera: the browser's own QR reader where there is one; typing otherwise ---------------

async function canReadQr() {
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices?.getUserMedia) return false;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    return formats.includes("qr_code");
  } catch {
    return false;
  }
}

async function offerCamera() {
  if (await canReadQr()) {
    scanButton.hidden = false;
  } else {
    setText($("pass-hint"), "inspect.pass_hint_no_camera");
  }
}

function stopScanning() {
  if (scanning) {
    scanning.stream.getTracks().forEach((track) => track.stop());
    scanning = null;
  }
  video.hidden = true;
  setText(scanButton, "inspect.scan");
}

async function scan() {
  if (scanning) {
    stopScanning();
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch {
    announce(status, "inspect.camera_denied", { tone: "error" });
    return;
  }
  const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  scanning = { stream };
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  setText(scanButton, "inspect.scan_stop");
  announce(status, "inspect.scanning");
  while (scanning) {
    try {
      const [found] = await detector.detect(video);
      if (found && found.rawValue) {
        pass.value = found.rawValue;
        plate.value = "";
        stopScanning();
        await check();
        return;
      }
    } catch {
      // a frame that could not be read: try the next one
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

scanButton.addEventListener("click", scan);
