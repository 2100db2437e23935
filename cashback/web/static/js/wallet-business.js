// The wallet's link to the person's business: its status; the till (and the staff page for its
// owner) once a clerk approved it; else a way to apply. The application's steps are under
// "My requests".

import { call } from "./api.js";
import { onLanguageChange, setText } from "./i18n.js";

const $ = (id) => document.getElementById(id);
let business = null;

function draw() {
  if (!business) return;
  setText($("my-business-name"), "wallet_business.name", {
    name: business.name,
    status: setText(document.createElement("span"), `business.${business.status}`).textContent,
  });
}

export async function startPart() {
  const answer = await call("/cashback/merchants/me");
  const section = $("my-business");
  if (answer.ok) {
    business = answer.data;
    draw();
    const approved = business.status === "approved";
    $("my-business-known").hidden = false;
    $("my-business-till").hidden = !approved;
    $("my-business-staff").hidden = !approved || !business.owner;
    onLanguageChange(draw);
  } else if (answer.status === 403 || answer.status === 404) {
    $("my-business-apply").hidden = false;
  } else {
    return;
  }
  section.hidden = false;
}
