import { call, signIn } from "./api.js";
import { language } from "./i18n.js";
import {
  announce,
  announceDetail,
  busy,
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

const form = document.getElementById("enrol-form");
const status = document.getElementById("status");
const submit = form.querySelector("button[type=submit]");

streetPicker({
  input: document.getElementById("street"),
  codeField: document.getElementById("street_code"),
  listbox: document.getElementById("street-options"),
  counter: document.getElementById("street-count"),
});

/** The enrolment as the residents API takes it (POST /api/v1/residents). */
function enrolment(data) {
  return {
    username: data.username,
    password: data.password,
    first_name: data.first_name,
    last_name: data.last_name,
    date_of_birth: data.date_of_birth,
    identifier: { kind: data.identifier_kind, value: data.identifier_value },
    street_code: data.street_code,
    house_number: Number(data.house_number),
    apartment: data.apartment || null,
    email: data.email || null,
    phone: data.phone || null,
    preferred_language: language(),
  };
}

// Which fields an API refusal is about, so they are marked beside its message.
const FIELDS_OF_ERROR = {
  username_taken: ["username"],
  weak_password: ["password"],
  invalid_id_number: ["identifier_value"],
  invalid_identifier: ["identifier_value"],
  identifier_taken: ["identifier_value"],
  unknown_street: ["street"],
  contact_required: ["email", "phone"],
  too_young_to_enrol: ["date_of_birth"],
  date_of_birth_in_future: ["date_of_birth"],
};

function fieldsNamedIn(detail) {
  const names = [...form.elements].map((element) => element.name).filter(Boolean);
  return [...new Set(names.filter((name) => name !== "street_code" && detail.includes(name)))];
}

// The checks a person can fix before anything is sent, said in their language. The API checks
// everything again (and is the only judge of ID numbers and streets).
const USERNAME = /^[A-Za-z0-9._@+-]{3,150}$/;
const HOUSE_NUMBER = /^[0-9]{1,4}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9]{9,15}$/;

function check(data) {
  const empty = missing(form);
  if (empty.length) {
    const fields = empty.map((name) => labelOf(form, name)).join(", ");
    return { key: "form.missing", params: { fields }, fields: empty };
  }
  if (!USERNAME.test(data.username)) return { key: "enrol.username_rule", fields: ["username"] };
  if (!data.street_code) return { key: "enrol.choose_street", fields: ["street"] };
  if (!HOUSE_NUMBER.test(data.house_number) || Number(data.house_number) < 1) {
    return { key: "enrol.house_number_rule", fields: ["house_number"] };
  }
  if (!data.email && !data.phone) return { key: "enrol.contact_needed", fields: ["email", "phone"] };
  if (data.email && !EMAIL.test(data.email)) return { key: "enrol.email_rule", fields: ["email"] };
  if (data.phone && !PHONE.test(data.phone.replace(/[\s\-().]/g, ""))) {
    return { key: "enrol.phone_rule", fields: ["phone"] };
  }
  return null;
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
  announce(status, "enrol.working");
  await busy(submit, async () => {
    const result = await call("/residents", { method: "POST", json: enrolment(data), auth: false });
    if (!result.ok) {
      announceDetail(status, result.data.detail);
      const fields = FIELDS_OF_ERROR[result.data.error] || fieldsNamedIn(result.data.detail);
      for (const name of fields) form.elements.namedItem(name)?.setAttribute?.("aria-invalid", "true");
      return;
    }
    announce(status, "enrol.done", { tone: "ok" });
    const signedIn = await signIn(data.username, data.password);
    location.assign(signedIn.ok ? homeFor(tokens.roles) : "/signin");
  });
});
