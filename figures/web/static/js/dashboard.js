// The city's dashboard, for admins and auditors: the window of days the figures cover, benefit
// uptake per programme, and the sections other domains add where the city runs them (cashback's,
// parking's), each drawn from its /api/v1/stats/… answer as a chart with a table of its numbers.
// A domain the city does not run adds no section, so no call here ever meets a missing route.

import { call, tokens } from "./api.js";
import { formatDate, onLanguageChange, setText, t } from "./i18n.js";
import { announce, announceDetail, busy, clearMessage, goSignIn, loadParts, markInvalid, start } from "./page.js";
import { Refused, count, drawChart, fillTable, figures, inUnit, monthName, nameOf, showEmpty } from "./figures-charts.js";

// The sections other domains add, each started with startPart({ onWindow }).
const parts = loadParts();
await start();

const $ = (id) => document.getElementById(id);
const status = $("status");
const form = $("window-form");
const from = $("window-from");
const to = $("window-to");
// Each section's loader: given the window's query, it fetches its figures and draws them.
const loaders = [drawUptake];

async function drawUptake(window) {
  const data = await figures("uptake", window);
  if (!data) return null;
  const section = $("uptake");
  const programmes = data.programmes;
  showEmpty(section, programmes.length === 0);
  const months = data.window.months;
  drawChart($("uptake-chart"), {
    type: "line",
    labels: months.map(monthName),
    series: programmes.map((programme) => ({
      label: nameOf(programme),
      values: programme.months.map((month) => month.residents),
    })),
  });
  fillTable($("uptake-table"), {
    caption: t("dashboard.uptake.caption"),
    columns: [t("dashboard.month"), ...programmes.map(nameOf)],
    rows: months.map((month, index) => ({
      head: monthName(month),
      cells: programmes.map((programme) => count(programme.months[index].residents)),
    })),
  });
  fillTable($("uptake-totals"), {
    caption: t("dashboard.uptake.totals"),
    columns: [t("dashboard.uptake.programme"), t("dashboard.uptake.residents"), t("dashboard.uptake.granted"), t("dashboard.uptake.used")],
    rows: programmes.map((programme) => ({
      head: nameOf(programme),
      cells: [count(programme.residents), inUnit(programme.granted, programme.unit), inUnit(programme.used, programme.unit)],
    })),
  });
  return data.window;
}

/** The window the form names: its days, or none (the API's default, the last 12 months). */
function chosenWindow() {
  const window = new URLSearchParams();
  if (from.value) window.set("from", from.value);
  if (to.value) window.set("to", to.value);
  return window;
}

// Each showing's number: what an older one finds when it ends (a message, the days) is not said.
let showing = 0;

/** Fetch and draw every section for the window; say which days the figures cover. */
async function show() {
  const mine = ++showing;
  const figuresBox = $("figures");
  figuresBox.setAttribute("aria-busy", "true");
  const results = await Promise.allSettled(loaders.map((loader) => loader(chosenWindow())));
  if (mine !== showing) return;
  figuresBox.setAttribute("aria-busy", "false");
  const refused = results.find((result) => result.status === "rejected");
  if (refused) {
    if (refused.reason instanceof Refused) announceDetail(status, refused.reason.message);
    else announce(status, "error.unexpected", { tone: "error" });
    return;
  }
  clearMessage(status);
  const shown = results[0].value;
  if (!shown) return; // gone to sign in
  from.value = shown.from;
  to.value = shown.to;
  setText($("window-shown"), "dashboard.window_shown", { from: formatDate(shown.from), to: formatDate(shown.to) });
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  // A window that ends before it starts is answered here, without asking the API.
  const backwards = Boolean(from.value && to.value && from.value > to.value);
  markInvalid(form, backwards ? ["from"] : []);
  if (backwards) {
    showing += 1;
    $("figures").setAttribute("aria-busy", "false");
    announce(status, "dashboard.backwards", { tone: "error" });
    return;
  }
  busy(form.querySelector("button[type=submit]"), show);
});

async function begin() {
  if (!tokens.signedIn) return goSignIn();
  const me = await call("/me");
  if (me.status === 401) return goSignIn();
  if (!me.ok) return announceDetail(status, me.data.detail);
  tokens.saveRoles(me.data.roles);
  const roles = me.data.roles;
  if (!roles.includes("admin") && !roles.includes("auditor")) {
    announce(status, "dashboard.staff_only", { tone: "error" });
    return;
  }
  $("figures").hidden = false;
  const onWindow = (loader) => loaders.push(loader);
  await Promise.all((await parts).map((part) => part.startPart({ onWindow })));
  // Names come in the page's language and numbers are written in it: a switch draws all again.
  onLanguageChange(show);
  await show();
}

await begin();
