// The city's neighbourhoods, each a link to its page.

import { call } from "./api.js";
import { language, onLanguageChange } from "./i18n.js";
import { announceDetail, start } from "./page.js";

await start();

const list = document.getElementById("neighbourhood-list");
let found = [];

function draw() {
  list.replaceChildren(
    ...found.map((neighbourhood) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = `/neighbourhoods/${encodeURIComponent(neighbourhood.code)}`;
      link.textContent = neighbourhood.names[language()] || neighbourhood.code;
      item.append(link);
      return item;
    }),
  );
}

const answer = await call("/city/neighbourhoods", { auth: false });
if (answer.ok) {
  found = answer.data;
  draw();
  onLanguageChange(draw);
} else {
  announceDetail(document.getElementById("status"), answer.data.detail);
}
