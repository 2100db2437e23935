// A business applies to the cashback scheme. Signed in, with the login the person already has (a
// resident's serves both: the clerk's approval adds the till to it); signed out, a login is made
// with the application in one request, or the person signs in first and comes back here.

import { call, signIn } from "./api.js";
import { registryDigits, checkDigitRight } from "./registry-number.js";
import { setText } from "./i18n.js";
import {
  announce,
  announceDetail,
  busy,
  goSignIn,
  homeFor,
  labelOf,
  markInvalid,
  missing,
  start,
  tokens,
  values,
} from "./page.js";
import { streetPicker } from "./street-picker.js";

await start();

const $ = (id) => document.getElementById(id);
const form = $("apply-form");
const status = $("status");
const submit = form.querySelector("button[type=submit]");
const USERNAME = /^[A-Za-z0-9._@+-]{3,150}$/;
const HOUSE_NUMBER = /^[0-9]{1,4}$/;
let me = null; // the signed-in login, when there is one

streetPicker({
  input: $("street"),
  codeField: $("street_code"),
  listbox: $("street-options"),
  counter: $("street-count"),
});

// Which fields an API refusal is about, so they are marked beside its message.
const FIELDS_OF_ERROR = {
  invalid_registry_number: ["registry_number"],
  registry_number_taken: ["registry_number"],
  address_not_in_city: ["street", "house_number"],
  username_taken: ["username"],
  invalid_username: ["username"],
  weak_password: ["password"],
};

async function whoIsApplying() {
  if (tokens.signedIn) {
    const answer = await call("/me");
    if (answer.ok) {
      me = answer.data;
      setText($("applying-as"), "business_apply.applying_as", { username: me.username });
      $("applying-as").hidden = false;
      return;
    }
  }
  $("new-account").hidden = false;
  for (const name of ["username", "password"]) {
    form.elements.namedItem(name).required = true;
    form.elements.namedItem(name).setAttribute("aria-required", "true");
  }
}

/** The checks a person can fix before anything is sent, said in their language. */
function check(data) {
  const empty = missing(form);
  if (empty.length) {
    const fields = empty.map((name) => labelOf(form, name)).join(", ");
    return { key: "form.missing", params: { fields }, fields: empty };
  }
  if (!me && !USERNAME.test(data.username)) return { key: "enrol.username_rule", fields: ["username"] };
  const digits = registryDigits(data.registry_number);
  if (!digits) return { key: "business_apply.registry_nine_digits", fields: ["registry_number"] };
  if (!checkDigitRight(digits)) return { key: "business_apply.registry_check_digit", fields: ["registry_number"] };
  if (!data.street_code) return { key: "enrol.choose_street", fields: ["street"] };
  if (!HOUSE_NUMBER.test(data.house_number) || Number(data.house_number) < 1) {
    return { key: "enrol.house_number_rule", fields: ["house_number"] };
  }
  return null;
}

function business(data) {
  return {
    registry_number: registryDigits(data.registry_number),
    name: data.name,
    category: data.category,
    street_code: data.street_code,
    house_number: Number(data.house_number),
  };
}

async function send(data) {
  if (me) return call("/cashback/merchants", { method: "POST", json: business(data) });
  const account = { username: data.username, password: data.password };
  return call("/cashback/applications", { method: "POST", json: { account, business: business(data) }, auth: false });
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = values(form);
  const problem = check(data);
  if (problem) {
    announce(status, problem.key, { tone: "error", params: problem.params });
    markInvalid(form, problem.fields);
    return;
  }
  markInvalid(form, []);
  announce(status, "business_apply.working");
  await busy(submit, async () => {
    const answer = await send(data);
    if (answer.status === 401) return goSignIn();
    if (!answer.ok) {
      announceDetail(status, answer.data.detail);
      for (const name of FIELDS_OF_ERROR[answer.data.error] || []) {
        form.elements.namedItem(name)?.setAttribute?.("aria-invalid", "true");
      }
      return;
    }
    announce(status, "business_apply.done", { tone: "ok" });
    if (!me) {
      const signedIn = await signIn(data.username, data.password);
      if (!signedIn.ok) return location.assign("/signin");
    }
    // Where the application stands: the wallet's "My requests", or the till of a business login.
    location.assign(homeFor(tokens.roles));
  });
});

await whoIsApplying();
