import { call } from "./api.js";
import { onLanguageChange, setText } from "./i18n.js";
import {
  announce,
  announceDetail,
  busy,
  clearMessage,
  goSignIn,
  homeFor,
  labelOf,
  loadParts,
  markInvalid,
  missing,
  start,
  tokens,
  values,
} from "./page.js";
import {
  addressText,
  detail,
  fullName,
  identifierText,
  showHistory,
  showStatus,
  statusKey,
} from "./resident-view.js";
import { startContact } from "./wallet-contact.js";
import "./wallet-data.js";
import { startRequests } from "./wallet-requests.js";
import { startSections } from "./wallet-sections.js";

// The sections other domains add to the wallet (parking's, where the city runs it), each started
// with startPart() once the resident is known.
const parts = loadParts();
await start();

const status = document.getElementById("status");
const $ = (id) => document.getElementById(id);
let resident = null;

function showResident() {
  setText($("greeting"), "wallet.hello", { name: resident.first_name || "" });
  showStatus($("residency-status"), resident.status);
  setText($("residency-explain"), `${statusKey(resident.status)}.explain`);
  const details = $("my-details");
  details.replaceChildren();
  detail(details, "field.date_of_birth", resident.date_of_birth, { date: true });
  detail(details, "field.identifier", identifierText(resident.identifier));
  detail(details, "field.email", resident.email);
  detail(details, "field.phone", resident.phone);
  showHistory($("history"), resident.status_history);
  $("residency").hidden = false;

  $("address").textContent = addressText(resident.address);
  const size = resident.household ? resident.household.size : 1;
  setText($("household-size"), "wallet.household_size", { count: size });
  listPeople($("wards"), $("wards-empty"), resident.wards || []);
  $("household").hidden = false;
}

function listPeople(list, empty, people) {
  list.replaceChildren();
  for (const person of people) {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = fullName(person);
    item.append(name);
    if (person.relation) {
      item.append(" — ", setText(document.createElement("span"), `relation.${person.relation}`));
    }
    if (person.status) {
      const badge = document.createElement("span");
      badge.className = "badge";
      showStatus(badge, person.status);
      item.append(" ", badge);
    }
    list.append(item);
  }
  empty.hidden = people.length > 0;
}

async function load() {
  const result = await call("/residents/me");
  if (result.status === 401) return goSignIn();
  if (result.status === 403 && homeFor(tokens.roles) !== "/wallet") {
    location.assign(homeFor(tokens.roles)); // staff, inspectors and businesses' staff have no wallet: they have their own page
    return;
  }
  if (result.status === 404 || result.status === 403) {
    $("no-resident").hidden = false;
    setText($("greeting"), "wallet.heading");
    return;
  }
  if (!result.ok) {
    announceDetail(status, result.data.detail);
    return;
  }
  resident = result.data;
  showResident();
}

// Adding a child or a foster child in the resident's care.
const wardForm = $("ward-form");
const wardStatus = $("ward-status");
const wardSubmit = wardForm.querySelector("button[type=submit]");

wardForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const empty = missing(wardForm);
  if (empty.length) {
    const fields = empty.map((name) => labelOf(wardForm, name)).join(", ");
    announce(wardStatus, "form.missing", { tone: "error", params: { fields } });
    markInvalid(wardForm, empty);
    return;
  }
  markInvalid(wardForm, []);
  const data = values(wardForm);
  const ward = {
    first_name: data.first_name,
    last_name: data.last_name,
    date_of_birth: data.date_of_birth,
    relation: data.relation,
    identifier: { kind: data.identifier_kind, value: data.identifier_value },
  };
  await busy(wardSubmit, async () => {
    const result = await call("/residents/me/wards", { method: "POST", json: ward });
    if (result.status === 401) return goSignIn();
    if (!result.ok) {
      announceDetail(wardStatus, result.data.detail);
      return;
    }
    wardForm.reset();
    announce(wardStatus, "ward.added", { tone: "ok", params: { name: fullName(ward) } });
    await load();
  });
});

// Last, once every control of the page answers: a form submitted while the parts still load is
// handled here, not sent by the browser as a page of its own.
if (!tokens.signedIn) {
  goSignIn();
} else {
  // Busy until every part has had its first answer: a screen reader waits rather than reading
  // half a wallet, and nothing is left asking the API with tokens about to change.
  const main = $("main");
  main.setAttribute("aria-busy", "true");
  announce(status, "wallet.loading");
  try {
    await load();
    if (status.dataset.i18n === "wallet.loading") clearMessage(status);
    if (resident) {
      await Promise.all([
        startRequests(resident),
        startSections(resident),
        startContact(),
        ...(await parts).map((part) => part.startPart()),
      ]);
    }
  } finally {
    main.removeAttribute("aria-busy");
  }
}

onLanguageChange(() => {
  if (resident) showResident();
});
