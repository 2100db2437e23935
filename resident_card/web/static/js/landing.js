import { homeFor, start, tokens } from "./page.js";

await start();
if (tokens.signedIn) {
  document.getElementById("guest-actions").hidden = true;
  document.getElementById("member-actions").hidden = false;
  document.getElementById("member-home").href = homeFor(tokens.roles);
}
