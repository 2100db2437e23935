// One neighbourhood's page: its figures from the city's open data (a table per resource, newest
// month first, hidden figures said so), and the parts other domains add (businesses, parking
// zones, the city's notices), each started with the neighbourhood's code.

import { call } from "./api.js";
import { formatMinutes, formatMonth, formatShekels, language, onLanguageChange, setText, t } from "./i18n.js";
import { announceDetail, loadParts, start } from "./page.js";

const parts = loadParts();
await start();

const $ = (id) => document.getElementById(id);
const code = decodeURIComponent(window.location.pathname.split("/").filter(Boolean)[1] || "");
let figures = null;

function formatCount(value) {
  const locale = language() === "ar" ? "ar-IL-u-nu-latn" : language();
  return new Intl.NumberFormat(locale).format(value);
}

function formatValue(value, unit) {
  if (unit === "agorot") return formatShekels(value);
  if (unit === "minutes") return formatMinutes(value);
  return formatCount(value);
}

function cell(tag, text, className) {
  const element = document.createElement(tag);
  element.textContent = text;
  if (className) element.className = className;
  return element;
}

function table(resource, index) {
  const wrap = document.createElement("div");
  wrap.className = "figure-table";
  // A table wider than the screen scrolls inside its box; the box is focusable so a keyboard can.
  wrap.tabIndex = 0;
  wrap.setAttribute("role", "region");
  const captionId = `figure-caption-${index}`;
  wrap.setAttribute("aria-labelledby", captionId);
  const grid = document.createElement("table");
  const caption = cell("caption", resource.name);
  caption.id = captionId;
  const head = document.createElement("tr");
  head.append(cell("th", t("neighbourhood.month")));
  for (const measure of resource.measures) head.append(cell("th", measure.title));
  head.append(cell("th", t("neighbourhood.people")));
  for (const th of head.children) th.scope = "col";
  const thead = document.createElement("thead");
  thead.append(head);
  const body = document.createElement("tbody");
  const rows = resource.rows.filter((row) => row.category === null || row.category === "all");
  for (const row of rows.slice().reverse()) {
    const line = document.createElement("tr");
    const month = cell("th", formatMonth(row.month));
    month.scope = "row";
    line.append(month);
    for (const measure of resource.measures) {
      line.append(
        row.suppressed
          ? cell("td", t("neighbourhood.hidden"), "hidden-figure")
          : cell("td", formatValue(row.values[measure.name], measure.unit), "number"),
      );
    }
    line.append(row.suppressed ? cell("td", t("neighbourhood.hidden"), "hidden-figure") : cell("td", formatCount(row.people), "number"));
    body.append(line);
  }
  grid.append(caption, thead, body);
  wrap.append(grid);
  return wrap;
}

function draw() {
  if (!figures) return;
  $("heading").textContent = figures.neighbourhood.name;
  setText($("figures-explain"), "neighbourhood.explain", { k: figures.k });
  $("figure-tables").replaceChildren(...figures.resources.map(table));
  if (!figures.resources.length) $("figure-tables").append(cell("p", t("neighbourhood.no_figures")));
  $("figures").hidden = false;
}

async function load() {
  const main = $("main");
  main.setAttribute("aria-busy", "true");
  try {
    const answer = await call(`/open-data/neighbourhoods/${encodeURIComponent(code)}`, { auth: false });
    if (!answer.ok) {
      announceDetail($("status"), answer.data.detail);
      $("parts").hidden = true;
      return;
    }
    figures = answer.data;
    draw();
    await Promise.all((await parts).map((part) => part.startPart(code)));
  } finally {
    main.removeAttribute("aria-busy");
  }
}

onLanguageChange(load);
await load();
