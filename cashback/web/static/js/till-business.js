// The till's way to the owner's staff page (the header links back to the wallet for a resident).

import { call } from "./api.js";

const answer = await call("/cashback/merchants/me");
if (answer.ok && answer.data.owner && answer.data.status === "approved") {
  document.getElementById("till-staff").hidden = false;
}
