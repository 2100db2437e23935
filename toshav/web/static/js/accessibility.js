// The accessibility statement: the coordinator's contact, as the running service's settings say.

import { call } from "./api.js";
import { announceDetail, start } from "./page.js";

await start();

const answer = await call("/about", { auth: false });
if (answer.ok) {
  const coordinator = answer.data.accessibility_coordinator;
  document.getElementById("coordinator-name").textContent = coordinator.name;
  const phone = document.getElementById("coordinator-phone");
  phone.href = `tel:${coordinator.phone}`;
  phone.textContent = coordinator.phone;
  const email = document.getElementById("coordinator-email");
  email.href = `mailto:${coordinator.email}`;
  email.textContent = coordinator.email;
} else {
  announceDetail(document.getElementById("status"), answer.data.detail);
}
document.querySelector("main").setAttribute("aria-busy", "false");
