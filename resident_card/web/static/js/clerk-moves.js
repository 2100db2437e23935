// The clerk's change of address: on the open resident (pending or verified), a new street (the
// street picker), house number, apartment and a required reason. POST
// /admin/residents/{id}/address; the clerk's page redraws the resident from the answer.

import { call } from "./api.js";
import { announce, announceDetail, busy, clearMessage, goSignIn, markInvalid } from "./page.js";
import { addressText, fullName } from "./resident-view.js";
import { streetPicker } from "./street-picker.js";

const MOVABLE = ["pending", "verified"];
const $ = (id) => document.getElementById(id);
const desk = $("move-desk");
const form = $("move-form");
const region = $("move-status");
let resident = null;
let changes = false;

streetPicker({
  input: $("move-street"),
  codeField: $("move-street-code"),
  listbox: $("move-street-options"),
  counter: $("move-street-count"),
});

function show() {
  desk.hidden = !changes || !resident || !MOVABLE.includes(resident.status);
}

document.addEventListener("clerk:resident", (event) => {
  if (!resident || resident.id !== event.detail.id) {
    form.reset();
    markInvalid(form, []);
    clearMessage(region);
  }
  resident = event.detail;
  show();
});

function problems() {
  const wrong = [];
  if (!$("move-street-code").value) wrong.push("street");
  if (!/^[1-9][0-9]{0,3}$/.test($("move-house-number").value.trim())) wrong.push("house_number");
  if (!$("move-reason").value.trim()) wrong.push("reason");
  return wrong;
}

const MESSAGES = { street: "clerk.move_street_needed", house_number: "clerk.move_number_needed", reason: "clerk.reason_needed" };

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const wrong = problems();
  if (wrong.length) {
    announce(region, MESSAGES[wrong[0]], { tone: "error" });
    markInvalid(form, wrong);
    return;
  }
  markInvalid(form, []);
  const apartment = $("move-apartment").value.trim();
  const body = {
    street_code: $("move-street-code").value,
    house_number: Number($("move-house-number").value.trim()),
    reason: $("move-reason").value.trim(),
  };
  if (apartment) body.apartment = apartment;
  await busy(form.querySelector("button[type=submit]"), async () => {
    const result = await call(`/admin/residents/${encodeURIComponent(resident.id)}/address`, {
      method: "POST",
      json: body,
    });
    if (result.status === 401) return goSignIn();
    if (!result.ok) {
      announceDetail(region, result.data.detail);
      const field = { unknown_street: "street", address_outside_city: "house_number" }[result.data.error];
      if (field) markInvalid(form, [field]);
      return;
    }
    resident = result.data;
    form.reset();
    document.dispatchEvent(new CustomEvent("clerk:changed", { detail: result.data }));
    announce(region, "clerk.moved", {
      tone: "ok",
      params: { name: fullName(result.data), address: addressText(result.data.address) },
    });
  });
});

/** Started by the clerk's page once the clerk's roles are known: an auditor changes nothing. */
export function startPart({ changes: mayChange }) {
  changes = mayChange;
  if (!changes) desk.remove();
  else show();
}
