// The phones that show the resident's card by themselves (each with a key of its own): listed
// under "Manage the card", this one marked, each removable. A removed phone's codes are refused
// from then on; removing this very phone makes the wallet forget its key and show the server's code.

import { call } from "./api.js";
import { formatDate, onLanguageChange, setText } from "./i18n.js";
import { announce, announceDetail, busy, goSignIn } from "./page.js";
import { noteServerClock } from "./wallet-fetch.js";

const $ = (id) => document.getElementById(id);

let shown = [];
let thisKid = null;
let removed = null; // called back with the removed device (this phone's or another)

/** The card's phones now, or null when they cannot be read (offline). */
export async function loadDevices() {
  const result = await call("/cards/me/devices");
  noteServerClock(result.headers); // the phone signs by the server's clock
  return result.ok && Array.isArray(result.data) ? result.data : null;
}

function dateLine(key, value) {
  const line = document.createElement("p");
  line.className = "device-meta";
  line.dataset.dateKey = key;
  line.dataset.dateValue = value;
  setText(line, key, { date: formatDate(value) });
  return line;
}

function draw() {
  const list = $("card-device-list");
  list.replaceChildren();
  for (const device of shown) {
    const item = document.createElement("li");
    const name = document.createElement("p");
    name.className = "device-name";
    name.id = `device-${device.id}`;
    const label = document.createElement("bdi");
    label.dir = "ltr";
    label.textContent = device.label;
    name.append(label);
    if (device.kid === thisKid) {
      const badge = setText(document.createElement("span"), "card.device_this");
      badge.className = "badge";
      name.append(" ", badge);
    }
    item.append(name, dateLine("card.device_registered", device.registered_at));
    if (device.last_used_at) item.append(dateLine("card.device_used", device.last_used_at));
    else item.append(setText(document.createElement("p"), "card.device_never_used"));
    const button = setText(document.createElement("button"), "card.device_remove");
    button.type = "button";
    button.className = "button";
    button.setAttribute("aria-describedby", name.id);
    button.addEventListener("click", () => busy(button, () => removeDevice(device)));
    item.append(button);
    list.append(item);
  }
  $("card-devices").hidden = shown.length === 0;
}

async function removeDevice(device) {
  const status = $("devices-status");
  const result = await call(`/cards/me/devices/${encodeURIComponent(device.id)}`, { method: "DELETE" });
  if (result.status === 401) return goSignIn();
  if (!result.ok && result.status !== 404) {
    announceDetail(status, result.data.detail);
    return;
  }
  shown = shown.filter((other) => other.id !== device.id);
  draw();
  announce(status, "card.device_removed", { tone: "ok" });
  $("devices-heading").focus();
  await removed?.(device);
}

/** Show the card's phones (``devices`` as the API listed them), ``kid`` being this phone's. */
export function showDevices(devices, kid, { onRemoved } = {}) {
  shown = Array.isArray(devices) ? devices : [];
  thisKid = kid;
  if (onRemoved) removed = onRemoved;
  draw();
}

onLanguageChange(() => {
  for (const line of document.querySelectorAll("#card-device-list [data-date-key]")) {
    setText(line, line.dataset.dateKey, { date: formatDate(line.dataset.dateValue) });
  }
});
