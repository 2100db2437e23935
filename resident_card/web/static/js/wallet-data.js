// "My data": the file of everything the city holds about me and my wards, downloaded as JSON; and
// asking to be erased, which a clerk decides.
import { call } from "./api.js";
import { t } from "./i18n.js";
import { announce, announceDetail, busy, goSignIn, markInvalid } from "./page.js";
import { authorised, refusal } from "./wallet-fetch.js";
import { reloadRequests } from "./wallet-requests.js";

const $ = (id) => document.getElementById(id);
const button = $("export-data");
const status = $("data-status");
const erasure = $("erasure-form");

async function download() {
  button.disabled = true;
  status.textContent = t("data.preparing");
  try {
    const response = await authorised("/api/v1/me/export", { accept: "application/json" });
    if (!response || !response.ok) {
      status.textContent = await refusal(response);
      return;
    }
    const blob = await response.blob();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "toshav-my-data.json";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    status.textContent = t("data.ready");
  } finally {
    button.disabled = false;
  }
}

async function askErasure(event) {
  event.preventDefault();
  const said = $("erasure-status");
  const reason = $("erasure-reason").value.trim();
  if (!reason) {
    announce(said, "data.erase_reason_needed", { tone: "error" });
    markInvalid(erasure, ["reason"]);
    return;
  }
  markInvalid(erasure, []);
  await busy(erasure.querySelector("button[type=submit]"), async () => {
    const result = await call("/me/erasure", { method: "POST", json: { reason } });
    if (result.status === 401) return goSignIn();
    if (!result.ok) {
      announceDetail(said, result.data.detail);
      return;
    }
    erasure.reset();
    announce(said, "data.erase_sent", { tone: "ok" });
    await reloadRequests();
  });
}

if (button) button.addEventListener("click", download);
if (erasure) erasure.addEventListener("submit", askErasure);
