// The privacy notice: how long each kind of record is kept, as the running service's settings say.

import { call } from "./api.js";
import { setText } from "./i18n.js";
import { announceDetail, start } from "./page.js";

await start();

const answer = await call("/about", { auth: false });
if (answer.ok) {
  const rows = answer.data.retention.map((kept) => {
    const item = document.createElement("li");
    item.dataset.setting = kept.setting;
    const what = setText(document.createElement("strong"), `privacy.kind.${kept.kind}`);
    const days = setText(document.createElement("span"), "privacy.kept_days", { count: kept.days });
    item.append(what, " ", days, " ", setText(document.createElement("span"), `privacy.after.${kept.kind}`));
    return item;
  });
  document.getElementById("retention-rows").replaceChildren(...rows);
  const email = document.getElementById("privacy-email");
  email.href = `mailto:${answer.data.privacy_contact.email}`;
  email.textContent = answer.data.privacy_contact.email;
} else {
  announceDetail(document.getElementById("status"), answer.data.detail);
}
document.querySelector("main").setAttribute("aria-busy", "false");
