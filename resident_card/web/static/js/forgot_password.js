// A forgotten password: the account's username or email; the API answers the same whether or not
// one matches, and so does this page.

import { call } from "./api.js";
import { setText } from "./i18n.js";
import { announce, announceDetail, busy, labelOf, markInvalid, missing, start, values } from "./page.js";

await start();

const form = document.getElementById("forgot-form");
const status = document.getElementById("status");
const submit = form.querySelector("button[type=submit]");
const field = document.getElementById("identity");
const label = document.getElementById("identity-label");

function findBy(by) {
  const email = by === "email";
  setText(label, email ? "field.email" : "field.username");
  field.type = email ? "email" : "text";
  field.autocomplete = email ? "email" : "username";
}

for (const choice of form.querySelectorAll("input[name=by]")) {
  choice.addEventListener("change", () => findBy(choice.value));
}
findBy(form.querySelector("input[name=by]:checked").value);

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const empty = missing(form);
  if (empty.length) {
    announce(status, "form.missing", { tone: "error", params: { fields: labelOf(form, "identity") } });
    markInvalid(form, empty);
    return;
  }
  markInvalid(form, []);
  const { by, identity } = values(form);
  announce(status, "forgot_password.working");
  const result = await busy(submit, () =>
    call("/auth/password-reset", { method: "POST", json: { [by]: identity }, auth: false }),
  );
  if (result.ok) {
    announce(status, "forgot_password.sent", { tone: "ok" });
    return;
  }
  if (result.status === 422) markInvalid(form, ["identity"]);
  announceDetail(status, result.data.detail);
});
