// A new password with the one-time link's token. The token comes in the address's fragment
// (#token=…), is taken off the address bar at once, and goes to the API only in a request's body.

import { call } from "./api.js";
import { announce, announceDetail, busy, labelOf, markInvalid, missing, start, values } from "./page.js";

const token = new URLSearchParams(location.hash.slice(1)).get("token");
if (location.hash) history.replaceState(null, "", location.pathname);

await start();

const form = document.getElementById("reset-form");
const status = document.getElementById("status");
const submit = form.querySelector("button[type=submit]");
const $ = (id) => document.getElementById(id);

if (!token) {
  $("reset-missing").hidden = false;
  $("reset-again").hidden = false;
} else {
  form.hidden = false;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const empty = missing(form);
  if (empty.length) {
    announce(status, "form.missing", { tone: "error", params: { fields: labelOf(form, "new_password") } });
    markInvalid(form, empty);
    return;
  }
  markInvalid(form, []);
  const { new_password } = values(form);
  announce(status, "reset_password.working");
  const result = await busy(submit, () =>
    call("/auth/password-reset/confirm", { method: "POST", json: { token, new_password }, auth: false }),
  );
  if (result.ok) {
    form.reset();
    form.hidden = true;
    announce(status, "reset_password.done", { tone: "ok" });
    $("reset-signin").hidden = false;
    return;
  }
  if (result.data.error === "weak_password") {
    markInvalid(form, ["new_password"]);
  } else if (result.data.error === "reset_token_invalid") {
    form.hidden = true;
    $("reset-again").hidden = false;
  }
  announceDetail(status, result.data.detail);
});
