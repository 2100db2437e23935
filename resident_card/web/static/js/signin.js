import { signIn } from "./api.js";
import { formatTime } from "./i18n.js";
import {
  announce,
  announceDetail,
  busy,
  homeFor,
  labelOf,
  markInvalid,
  missing,
  nextPath,
  start,
  tokens,
  values,
} from "./page.js";

await start();

const form = document.getElementById("signin-form");
const status = document.getElementById("status");
const submit = form.querySelector("button[type=submit]");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const empty = missing(form);
  if (empty.length) {
    const fields = empty.map((name) => labelOf(form, name)).join(", ");
    announce(status, "form.missing", { tone: "error", params: { fields } });
    markInvalid(form, empty);
    return;
  }
  markInvalid(form, []);
  const { username, password } = values(form);
  announce(status, "signin.working");
  const result = await busy(submit, () => signIn(username, password));
  if (result.ok) {
    announce(status, "signin.done", { tone: "ok" });
    location.assign(nextPath(homeFor(tokens.roles)));
    return;
  }
  let detail = result.data.detail;
  const wait = Number(result.headers.get("Retry-After"));
  if (result.status === 429 && Number.isFinite(wait) && wait > 0) {
    // The API says how long to wait; the clock time saves a sum.
    detail = `${detail} (${formatTime(new Date(Date.now() + wait * 1000))})`;
  }
  announceDetail(status, detail);
});
