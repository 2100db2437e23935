// The dashboard's kit, shared by its sections (the page's own and those other domains add to it):
// the statistics API's answers, Chart.js charts that follow the page's language and direction, the
// table of the same numbers beside each chart, and numbers written as the page's language writes them.

// Chart.js's one-file build, served by the app (figures/web/static/vendor/chart_js/README.md):
// imported as a module it defines globalThis.Chart.
import "../vendor/chart_js/chart.umd.min.js";
import { call } from "./api.js";
import { direction, formatMinutes, formatNumber, formatShekels, locale, t } from "./i18n.js";
import { goSignIn } from "./page.js";

const { Chart } = globalThis;

// Eight colours apart from each other and at least 3:1 against white (WCAG 1.4.11).
export const PALETTE = ["#0a4f8a", "#b8560b", "#2e7d32", "#8e24aa", "#c62828", "#00796b", "#5d4037", "#546e7a"];

Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
Chart.defaults.color = "#1b1f24";
Chart.defaults.animation = false; // drawn at once: no motion, and nothing to wait for

/** A refusal of the statistics API, with its words in the page's language. */
export class Refused extends Error {}

/**
 * One statistics answer (``/api/v1/stats/<name>?from=…&to=…``); null after sending someone signed
 * out to sign in. A refusal (a window the API will not count) throws Refused with the API's words.
 */
export async function figures(name, window, more = {}) {
  const query = new URLSearchParams({ ...Object.fromEntries(window), ...more });
  const result = await call(`/stats/${name}?${query}`);
  if (result.status === 401) {
    goSignIn();
    return null;
  }
  if (!result.ok) throw new Refused(result.data.detail);
  return result.data;
}

// --- numbers --------------------------------------------------------------------------------------

export const count = (value) => formatNumber(value);
export const shekels = (agorot) => formatShekels(agorot);
export const share = (value) => formatNumber(value, { style: "percent", maximumFractionDigits: 0 });

/** Shekels short enough for an axis: "₪12K". */
function shortShekels(agorot) {
  return formatNumber(agorot / 100, { style: "currency", currency: "ILS", notation: "compact", maximumFractionDigits: 1 });
}

/** An amount in a programme's unit: shekels, minutes of parking, or a plain number. */
export function inUnit(amount, unit) {
  if (unit === "ILS") return formatShekels(amount);
  if (unit === "PARKING_MIN") return formatMinutes(amount);
  return formatNumber(amount);
}

/** A month ("2026-03") short, for an axis and a table's row: "Mar 26", "מרץ 26". */
export function monthName(label) {
  const moment = new Date(`${label}-15T12:00:00Z`);
  return new Intl.DateTimeFormat(locale(), { month: "short", year: "2-digit", timeZone: "UTC" }).format(moment);
}

/** A name the API gave in the page's language ({code, name}), or the thing's own name. */
export function nameOf(thing) {
  return (thing && (thing.name || thing.code)) || "";
}

// --- charts ---------------------------------------------------------------------------------------

/**
 * Draw a chart on a canvas, in place of the one there. ``labels`` name the categories (months,
 * zones), each of ``series`` is {label, values}; ``money`` says the values are agorot. Right to left,
 * the category axis runs from the right and the legend and tooltips read from the right.
 */
export function drawChart(canvas, { type = "bar", labels, series, money = false, stacked = false, horizontal = false }) {
  Chart.getChart(canvas)?.destroy();
  const rtl = direction() === "rtl";
  const full = money ? shekels : count;
  const tick = money ? shortShekels : count;
  const valueAxis = horizontal ? "x" : "y";
  const categoryAxis = horizontal ? "y" : "x";
  const scales = {
    [categoryAxis]: { stacked, reverse: rtl && !horizontal, position: horizontal ? (rtl ? "right" : "left") : "bottom" },
    [valueAxis]: {
      stacked,
      beginAtZero: true,
      reverse: rtl && horizontal,
      position: horizontal ? "bottom" : rtl ? "right" : "left",
      ticks: { precision: 0, callback: (value) => tick(value) },
    },
  };
  return new Chart(canvas, {
    type,
    data: {
      labels,
      datasets: series.map((one, index) => ({
        label: one.label,
        data: one.values,
        backgroundColor: PALETTE[index % PALETTE.length],
        borderColor: PALETTE[index % PALETTE.length],
        borderWidth: type === "line" ? 2 : 0,
        pointStyle: ["circle", "rect", "triangle", "rectRot", "star", "cross"][index % 6],
        pointRadius: type === "line" ? 3 : 0,
      })),
    },
    options: {
      locale: locale(),
      responsive: true,
      maintainAspectRatio: false,
      indexAxis: horizontal ? "y" : "x",
      scales,
      plugins: {
        legend: { rtl, textDirection: direction() },
        tooltip: {
          rtl,
          textDirection: direction(),
          callbacks: { label: (context) => `${context.dataset.label}: ${full(context.parsed[valueAxis])}` },
        },
      },
    },
  });
}

// --- tables ---------------------------------------------------------------------------------------

/**
 * Fill a table with the numbers of a chart: a caption, a header row of ``columns`` (texts; the
 * first names the rows), and ``rows`` of {head, cells} (texts, already written for the language);
 * a row whose head is a name as it was given (a campaign's, a business's) says ``isolate``, and its
 * name is kept apart from the text's direction (<bdi>).
 */
export function fillTable(table, { caption, columns, rows, foot }) {
  const captionElement = document.createElement("caption");
  captionElement.textContent = caption;
  const head = document.createElement("thead");
  const headRow = document.createElement("tr");
  for (const column of columns) {
    const cell = document.createElement("th");
    cell.scope = "col";
    cell.textContent = column;
    headRow.append(cell);
  }
  head.append(headRow);
  const body = document.createElement("tbody");
  const line = (row) => {
    const tr = document.createElement("tr");
    const rowHead = document.createElement("th");
    rowHead.scope = "row";
    if (row.isolate) rowHead.append(Object.assign(document.createElement("bdi"), { textContent: row.head }));
    else rowHead.textContent = row.head;
    tr.append(rowHead);
    for (const value of row.cells) {
      const cell = document.createElement("td");
      cell.textContent = value;
      tr.append(cell);
    }
    return tr;
  };
  body.append(...rows.map(line));
  table.replaceChildren(captionElement, head, body);
  if (foot) {
    const tfoot = document.createElement("tfoot");
    tfoot.append(line(foot));
    table.append(tfoot);
  }
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const cell = document.createElement("td");
    cell.colSpan = columns.length;
    cell.textContent = t("dashboard.nothing");
    tr.append(cell);
    body.append(tr);
  }
}

/** Show a section's "nothing in these months" note in place of its figure, or the figure. */
export function showEmpty(section, empty) {
  section.querySelector(".empty").hidden = !empty;
  for (const figure of section.querySelectorAll("figure")) figure.hidden = empty;
}
