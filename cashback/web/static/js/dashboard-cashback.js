// Cashback's sections of the city's dashboard: cashback credited and redeemed by month and what is
// left of each campaign's budget; purchases by neighbourhood on the map, with their table; the
// busiest businesses; flagged purchases and how they were settled. Each follows the page's window.

import { t } from "./i18n.js";
import { count, drawChart, fillTable, figures, monthName, nameOf, shekels, showEmpty } from "./figures-charts.js";
import { drawMap, neighbourhoodOutlines, outlineName } from "./figures-map.js";

const $ = (id) => document.getElementById(id);
const BUSIEST = 10;

async function drawCampaigns(window) {
  const data = await figures("campaigns", window);
  if (!data) return;
  const campaigns = data.campaigns;
  showEmpty($("campaign-figures"), campaigns.length === 0);
  const months = data.window.months;
  const credited = months.map((_, index) => campaigns.reduce((sum, c) => sum + c.months[index].credited_agorot, 0));
  const redeemed = months.map((_, index) => campaigns.reduce((sum, c) => sum + c.months[index].redeemed_agorot, 0));
  drawChart($("cashback-months-chart"), {
    labels: months.map(monthName),
    money: true,
    series: [
      { label: t("dashboard.campaigns.credited"), values: credited },
      { label: t("dashboard.campaigns.redeemed"), values: redeemed },
    ],
  });
  fillTable($("cashback-months-table"), {
    caption: t("dashboard.campaigns.by_month"),
    columns: [t("dashboard.month"), t("dashboard.campaigns.credited"), t("dashboard.campaigns.redeemed")],
    rows: months.map((month, index) => ({ head: monthName(month), cells: [shekels(credited[index]), shekels(redeemed[index])] })),
  });
  drawChart($("budgets-chart"), {
    labels: campaigns.map(nameOf),
    money: true,
    horizontal: true,
    series: [{ label: t("dashboard.campaigns.left"), values: campaigns.map((c) => c.budget_left_agorot) }],
  });
  fillTable($("budgets-table"), {
    caption: t("dashboard.campaigns.budgets"),
    columns: [
      t("dashboard.campaigns.campaign"),
      t("dashboard.campaigns.budget"),
      t("dashboard.campaigns.credited"),
      t("dashboard.campaigns.redeemed"),
      t("dashboard.campaigns.left"),
    ],
    rows: campaigns.map((c) => ({
      head: nameOf(c),
      isolate: true,
      cells: [shekels(c.budget_agorot), shekels(c.credited_agorot), shekels(c.redeemed_agorot), shekels(c.budget_left_agorot)],
    })),
  });
}

async function drawPurchases(window) {
  const [data, outlines] = await Promise.all([figures("purchases", window), neighbourhoodOutlines()]);
  if (!data) return;
  const byCode = new Map(data.neighbourhoods.map((n) => [n.code, n]));
  drawMap($("neighbourhood-map"), $("map-legend"), outlines, (code) => byCode.get(code)?.cashback_agorot || 0, shekels);
  // Every neighbourhood the map shows, the busiest first; those with nothing counted too.
  const rows = outlines
    .map((feature) => ({ name: outlineName(feature), figures: byCode.get(feature.properties.code) }))
    .sort((a, b) => (b.figures?.cashback_agorot || 0) - (a.figures?.cashback_agorot || 0));
  fillTable($("neighbourhoods-table"), {
    caption: t("dashboard.purchases.table"),
    columns: [t("dashboard.neighbourhood"), t("dashboard.purchases.count"), t("dashboard.purchases.amount"), t("dashboard.purchases.cashback")],
    rows: rows.map(({ name, figures: n }) => ({
      head: name,
      cells: [count(n?.purchases || 0), shekels(n?.amount_agorot || 0), shekels(n?.cashback_agorot || 0)],
    })),
  });
}

async function drawBusinesses(window) {
  const data = await figures("businesses", window, { limit: String(BUSIEST) });
  if (!data) return;
  fillTable($("businesses-table"), {
    caption: t("dashboard.businesses.caption"),
    columns: [
      t("dashboard.businesses.business"),
      t("dashboard.neighbourhood"),
      t("dashboard.businesses.category"),
      t("dashboard.purchases.count"),
      t("dashboard.purchases.amount"),
      t("dashboard.purchases.cashback"),
      t("dashboard.businesses.residents"),
    ],
    rows: data.businesses.map((b) => ({
      head: b.name,
      isolate: true,
      cells: [nameOf(b.neighbourhood), nameOf(b.category), count(b.purchases), shekels(b.amount_agorot), shekels(b.cashback_agorot), count(b.residents)],
    })),
  });
}

/** An outcome of a flag in words ("dismissed": nothing wrong); one the page has no words for is "other". */
function outcomeName(outcome) {
  const key = `dashboard.flags.${outcome}`;
  return t(key) === key ? t("dashboard.flags.other") : t(key);
}

async function drawFlags(window) {
  const data = await figures("flags", window);
  if (!data) return;
  showEmpty($("flag-figures"), data.flagged === 0);
  const months = data.window.months;
  const outcomes = Object.keys(data.outcomes).filter((outcome) => data.outcomes[outcome] > 0);
  drawChart($("flags-chart"), {
    labels: months.map(monthName),
    stacked: true,
    series: outcomes.map((outcome) => ({
      label: outcomeName(outcome),
      values: data.months.map((month) => month.outcomes[outcome] || 0),
    })),
  });
  fillTable($("flags-table"), {
    caption: t("dashboard.flags.caption"),
    columns: [t("dashboard.month"), t("dashboard.flags.flagged"), ...outcomes.map(outcomeName)],
    rows: data.months.map((month) => ({
      head: monthName(month.month),
      cells: [count(month.flagged), ...outcomes.map((outcome) => count(month.outcomes[outcome] || 0))],
    })),
    foot: {
      head: t("dashboard.all_months"),
      cells: [count(data.flagged), ...outcomes.map((outcome) => count(data.outcomes[outcome]))],
    },
  });
}

/** Started by the dashboard: each section is drawn again whenever the window changes. */
export function startPart({ onWindow }) {
  for (const draw of [drawCampaigns, drawPurchases, drawBusinesses, drawFlags]) onWindow(draw);
}
