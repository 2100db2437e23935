// Parking's part of a neighbourhood's page: its parking zones and municipal car parks.

import { call } from "./api.js";
import { language, t } from "./i18n.js";

export async function startPart(code) {
  const section = document.getElementById("neighbourhood-zones");
  const answer = await call(`/parking/zones?neighbourhood=${encodeURIComponent(code)}`, { auth: false });
  if (!answer.ok) return;
  const list = document.getElementById("neighbourhood-zone-list");
  list.replaceChildren(
    ...answer.data.map((zone) => {
      const item = document.createElement("li");
      const kind = t(zone.kind === "lot" ? "neighbourhood_zones.lot" : "neighbourhood_zones.residential");
      item.textContent = `${zone.names[language()] || zone.code} (${kind})`;
      return item;
    }),
  );
  document.getElementById("neighbourhood-zones-none").hidden = answer.data.length > 0;
  section.hidden = false;
}
