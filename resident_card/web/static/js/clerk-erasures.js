// The clerk's erasure desk: requests to be erased (``decision-desk.js``).

import { decisionDesk } from "./decision-desk.js";
import { t } from "./i18n.js";
import { detail } from "./resident-view.js";

// Once erased, the record has no name left to show.
const nameOf = (erasure) => erasure.name || t("clerk.erasure_erased");

export const startPart = decisionDesk({
  one: "erasure",
  many: "erasures",
  path: "/admin/erasures",
  states: {
    submitted: "erasure.status.submitted",
    granted: "erasure.status.granted",
    refused: "erasure.status.refused",
  },
  title: nameOf,
  name: nameOf,
  details(list, erasure) {
    detail(list, "clerk.erasure_asked_on", erasure.created_at, { date: true });
    detail(list, "clerk.erasure_why", erasure.reason);
    if (erasure.decided_at) {
      detail(list, "clerk.erasure_decided_on", erasure.decided_at, { date: true });
    }
    if (erasure.decision_reason) detail(list, "clerk.reason", erasure.decision_reason);
  },
  empty: "clerk.erasures_empty",
  count: "clerk.erasures_count",
  outcomeNeeded: "clerk.erasure_outcome_needed",
  decided: "clerk.erasure_decided",
});
