// Cashback's part of a neighbourhood's page: the businesses in the scheme there, with their kind
// and address.

import { call } from "./api.js";
import { t } from "./i18n.js";

export async function startPart(code) {
  const section = document.getElementById("neighbourhood-businesses");
  const answer = await call(`/cashback/businesses?neighbourhood=${encodeURIComponent(code)}`, { auth: false });
  if (!answer.ok) return;
  const list = document.getElementById("neighbourhood-business-list");
  list.replaceChildren(
    ...answer.data.map((business) => {
      const item = document.createElement("li");
      const name = document.createElement("bdi");
      name.textContent = business.name;
      item.append(name, ` (${t(`business_category.${business.category}`)}), ${business.address}`);
      return item;
    }),
  );
  document.getElementById("neighbourhood-businesses-none").hidden = answer.data.length > 0;
  section.hidden = false;
}
