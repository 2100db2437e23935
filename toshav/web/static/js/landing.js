import { setText } from "./i18n.js";
import { homeFor, start, tokens } from "./page.js";

await start();
if (tokens.signedIn) {
  document.getElementById("guest-actions").hidden = true;
  document.getElementById("member-actions").hidden = false;
  const home = homeFor(tokens.roles);
  const link = document.getElementById("member-home");
  link.href = home;
  if (home === "/clerk") setText(link, "landing.open_desk");
  if (home === "/inspect") setText(link, "landing.open_inspect");
  if (home === "/till") setText(link, "landing.open_till");
}
