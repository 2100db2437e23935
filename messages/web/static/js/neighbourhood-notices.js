// The city's notices current for a neighbourhood and for the whole city, newest first, on the
// neighbourhood's public page (/neighbourhoods/{code}), in the page's language (Hebrew where the
// city wrote no other). Started by the page with the neighbourhood's code, else read from the path.

import { call } from "./api.js";
import { formatDate, t } from "./i18n.js";
import { announceDetail } from "./page.js";

const $ = (id) => document.getElementById(id);

function codeFromPath() {
  const match = /^\/neighbourhoods\/([^/]+)\/?$/.exec(location.pathname);
  return match ? decodeURIComponent(match[1]) : "";
}

function noticeItem(notice) {
  const item = document.createElement("li");
  const title = document.createElement("h3");
  title.textContent = notice.title;
  const when = document.createElement("p");
  when.className = "meta";
  when.textContent = t(notice.whole_city ? "neighbourhood_notices.whole_city_until" : "neighbourhood_notices.until", {
    date: formatDate(notice.last_day),
  });
  const body = document.createElement("p");
  body.textContent = notice.body;
  item.append(title, when, body);
  return item;
}

/** Show the notices of the neighbourhood of this code (each time: the page calls it again when
 * its language changes). */
export async function startPart(code = codeFromPath()) {
  if (!code) return;
  const answer = await call(`/notices?neighbourhood=${encodeURIComponent(code)}`, { auth: false });
  if (answer.status === 404) return; // no such neighbourhood: the page says so
  if (!answer.ok) {
    announceDetail($("neighbourhood-notices-status"), answer.data.detail);
    return;
  }
  $("neighbourhood-notices-list").replaceChildren(...answer.data.map(noticeItem));
  $("neighbourhood-notices-empty").hidden = answer.data.length > 0;
  $("neighbourhood-notices").hidden = false;
}
