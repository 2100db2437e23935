// The clerk's desk for an enrolment that claims a registered identity: what the claim is, the
// registered record to open, and (admins) the decision: refuse, or give the registered record to
// this enrolment's account, with a reason. POST /admin/residents/{id}/claim.

import { call } from "./api.js";
import { t } from "./i18n.js";
import { announce, announceDetail, busy, clearMessage, goSignIn, markInvalid } from "./page.js";
import { detail, fullName } from "./resident-view.js";

const $ = (id) => document.getElementById(id);
const desk = $("claim-desk");
const region = $("claim-status");
let form = $("claim-form");
let resident = null;

function draw() {
  const claim = resident && resident.claim;
  desk.hidden = !claim;
  if (!claim) return;
  const list = $("claim-details");
  list.replaceChildren();
  detail(list, "clerk.claim_state", t(`clerk.claim_state.${claim.state}`));
  detail(list, "clerk.claim_matches", t(claim.matches_record ? "clerk.claim_matches.yes" : "clerk.claim_matches.no"));
  if (claim.decided_at) detail(list, "clerk.appeal_decided_on", claim.decided_at, { date: true });
  if (claim.reason) detail(list, "clerk.claim_reason", claim.reason);
  if (form) form.hidden = claim.state !== "open";
}

document.addEventListener("clerk:resident", (event) => {
  if (!resident || resident.id !== event.detail.id) {
    form?.reset();
    if (form) markInvalid(form, []);
    clearMessage(region);
  }
  resident = event.detail;
  draw();
});

$("claim-holder")?.addEventListener("click", () => {
  if (resident && resident.claim) {
    document.dispatchEvent(new CustomEvent("clerk:open", { detail: resident.claim.holder_id }));
  }
});

function wire() {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = form.querySelector("input[name=decision]:checked");
    const reason = $("claim-reason").value.trim();
    if (!chosen) {
      announce(region, "clerk.claim_decision_needed", { tone: "error" });
      form.querySelector("input[name=decision]").focus();
      return;
    }
    if (!reason) {
      announce(region, "clerk.reason_needed", { tone: "error" });
      markInvalid(form, ["reason"]);
      return;
    }
    markInvalid(form, []);
    await busy(form.querySelector("button[type=submit]"), async () => {
      const result = await call(`/admin/residents/${encodeURIComponent(resident.id)}/claim`, {
        method: "POST",
        json: { decision: chosen.value, reason },
      });
      if (result.status === 401) return goSignIn();
      if (!result.ok) {
        announceDetail(region, result.data.detail);
        return;
      }
      resident = result.data;
      form.reset();
      document.dispatchEvent(new CustomEvent("clerk:changed", { detail: result.data }));
      announce(region, "clerk.claim_decided", {
        tone: "ok",
        params: { name: fullName(result.data), state: t(`clerk.claim_state.${result.data.claim.state}`) },
      });
    });
  });
}

/** Started by the clerk's page once the clerk's roles are known: an auditor reads the claim and
 * finds the registered record in the list; the form and its buttons are gone. */
export function startPart({ changes }) {
  if (!changes) {
    form.remove();
    form = null;
    $("claim-holder").parentElement.remove();
    return;
  }
  wire();
}
