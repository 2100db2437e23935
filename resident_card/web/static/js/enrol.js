import { call, signIn } from "./api.js";
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

/** The enrolment as the residents API takes it. */
export function enrolment(data) {
  return {
    username: data.username,
    password: data.password,
    first_name: data.first_name,
    last_name: data.last_name,
    date_of_birth: data.date_of_birth,
    identifier: { kind: data.identifier_kind, value: data.identifier_value },
    address: {
      street_code: data.street_code,
      house_number: data.house_number,
      apartment: data.apartment || null,
    },
    email: data.email || null,
    phone: data.phone || null,
  };
}

// Which field an API refusal is about, so it can be marked next to the message.
const FIELD_OF_ERROR = {
  username_taken: ["username"],
  weak_password: ["password"],
  invalid_id_number: ["identifier_value"],
  identifier_taken: ["identifier_value"],
  unknown_street: ["street"],
  contact_required: ["email", "phone"],
};

function fieldsNamedIn(detail) {
  const names = [...form.elements].map((element) => element.name).filter(Boolean);
  return [...new Set(names.filter((name) => name !== "street_code" && detail.includes(name)))];
}

function check(data) {
  const empty = missing(form);
  if (empty.length) {
    const fields = empty.map((name) => labelOf(form, name)).join(", ");
    return { key: "form.missing", params: { fields }, fields: empty };
  }
  if (!data.street_code) return { key: "enrol.choose_street", fields: ["street"] };
  if (!data.email && !data.phone) return { key: "enrol.contact_needed", fields: ["email", "phone"] };
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
      const fields = FIELD_OF_ERROR[result.data.error] || fieldsNamedIn(result.data.detail);
      for (const name of fields) form.elements.namedItem(name)?.setAttribute("aria-invalid", "true");
      return;
    }
    announce(status, "enrol.done", { tone: "ok" });
    const signedIn = await signIn(data.username, data.password);
    location.assign(signedIn.ok ? homeFor(tokens.roles) : "/signin");
  });
});
