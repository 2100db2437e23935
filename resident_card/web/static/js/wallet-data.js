// "My data": the file of everything the city holds about me and my wards, downloaded as JSON.
import { t } from "./i18n.js";
import { authorised, refusal } from "./wallet-fetch.js";

const button = document.getElementById("export-data");
const status = document.getElementById("data-status");

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

if (button) button.addEventListener("click", download);
