// The clerk's appeals desk: appeals against refused decisions (``decision-desk.js``).

import { decisionDesk } from "./decision-desk.js";
import { detail } from "./resident-view.js";

export const startPart = decisionDesk({
  one: "appeal",
  many: "appeals",
  path: "/admin/appeals",
  states: {
    submitted: "appeal.status.submitted",
    granted: "appeal.status.granted",
    refused: "appeal.status.refused",
  },
  title: (appeal) => `${appeal.resident_name} · ${appeal.programme_name}`,
  name: (appeal) => appeal.resident_name,
  details(list, appeal) {
    detail(list, "clerk.appeal_submitted_on", appeal.created_at, { date: true });
    detail(list, "clerk.appeal_message", appeal.message);
    if (appeal.decided_at) {
      detail(list, "clerk.appeal_decided_on", appeal.decided_at, { date: true });
    }
    if (appeal.reason) detail(list, "clerk.reason", appeal.reason);
  },
  empty: "clerk.appeals_empty",
  count: "clerk.appeals_count",
  outcomeNeeded: "clerk.appeal_outcome_needed",
  decided: "clerk.appeal_decided",
});
