// Parking's sections of the city's dashboard: inspections per zone, stacked by verdict, with each
// verdict's share in the table; permits issued per zone and month, and those in force at the end.

import { t } from "./i18n.js";
import { count, drawChart, fillTable, figures, monthName, nameOf, share, showEmpty } from "./figures-charts.js";

const $ = (id) => document.getElementById(id);

/** A verdict in the scanner's own words ("valid_permit": a valid permit for this zone). */
function verdictName(verdict) {
  const key = `inspect.reason.${verdict}`;
  return t(key) === key ? t("inspect.reason.other") : t(key);
}

async function drawInspections(window) {
  const data = await figures("inspections", window);
  if (!data) return;
  const zones = data.zones;
  const total = zones.reduce((sum, zone) => sum + zone.inspections, 0);
  showEmpty($("inspection-figures"), total === 0);
  // The verdicts that were given at all (the API lists every one, with its zeros).
  const verdicts = [...new Set(zones.flatMap((zone) => Object.keys(zone.verdicts)))].filter((verdict) =>
    zones.some((zone) => zone.verdicts[verdict] > 0),
  );
  drawChart($("inspections-chart"), {
    labels: zones.map(nameOf),
    stacked: true,
    horizontal: true,
    series: verdicts.map((verdict) => ({
      label: verdictName(verdict),
      values: zones.map((zone) => zone.verdicts[verdict] || 0),
    })),
  });
  fillTable($("inspections-table"), {
    caption: t("dashboard.inspections.caption"),
    columns: [t("dashboard.zone"), t("dashboard.inspections.count"), ...verdicts.map(verdictName)],
    rows: zones.map((zone) => ({
      head: nameOf(zone),
      cells: [
        count(zone.inspections),
        ...verdicts.map((verdict) =>
          t("dashboard.inspections.share", { count: count(zone.verdicts[verdict] || 0), share: share(zone.shares[verdict] || 0) }),
        ),
      ],
    })),
  });
}

async function drawPermits(window) {
  const data = await figures("permits", window);
  if (!data) return;
  drawChart($("permits-chart"), {
    labels: data.zones.map(nameOf),
    series: [
      { label: t("dashboard.permits.issued"), values: data.zones.map((zone) => zone.issued) },
      { label: t("dashboard.permits.active"), values: data.zones.map((zone) => zone.active_at_end) },
    ],
  });
  fillTable($("permits-table"), {
    caption: t("dashboard.permits.caption"),
    columns: [t("dashboard.zone"), t("dashboard.permits.issued"), t("dashboard.permits.active")],
    rows: data.zones.map((zone) => ({ head: nameOf(zone), cells: [count(zone.issued), count(zone.active_at_end)] })),
  });
  drawChart($("permit-months-chart"), {
    type: "line",
    labels: data.months.map((month) => monthName(month.month)),
    series: [{ label: t("dashboard.permits.issued"), values: data.months.map((month) => month.issued) }],
  });
  fillTable($("permit-months-table"), {
    caption: t("dashboard.permits.by_month"),
    columns: [t("dashboard.month"), t("dashboard.permits.issued")],
    rows: data.months.map((month) => ({ head: monthName(month.month), cells: [count(month.issued)] })),
  });
}

/** Started by the dashboard: each section is drawn again whenever the window changes. */
export function startPart({ onWindow }) {
  onWindow(drawInspections);
  onWindow(drawPermits);
}
