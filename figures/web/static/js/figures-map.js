// The map of the city's neighbourhoods as an inline SVG: their outlines (GeoJSON the city ships,
// GET /api/v1/city/neighbourhoods.geojson) projected here in the browser, each filled by a figure
// in five steps, with a legend. No tiles and no other origin: the outlines are all it draws.

import { call } from "./api.js";
import { language, t } from "./i18n.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 600; // the drawing's own units; the SVG scales to its box
// Five steps of one blue, light to dark; a neighbourhood with nothing counted is grey.
export const STEPS = ["#dbe9f6", "#a8c8e6", "#6a9fcf", "#2f6fae", "#0a3f73"];
const NOTHING = "#eef0f2";

let outlines = null;

/** The neighbourhoods' outlines, fetched once per page. */
export async function neighbourhoodOutlines() {
  if (!outlines) {
    const result = await call("/city/neighbourhoods.geojson", { auth: false });
    outlines = result.ok ? result.data.features : [];
  }
  return outlines;
}

/** A neighbourhood's name in the page's language. */
export function outlineName(feature) {
  const names = feature.properties.names || {};
  return names[language()] || names.he || feature.properties.code;
}

function rings(geometry) {
  return geometry.type === "MultiPolygon" ? geometry.coordinates.flat() : geometry.coordinates;
}

/** An equirectangular projection of the outlines' extent, true to scale at its middle latitude. */
function projection(features) {
  const points = features.flatMap((feature) => rings(feature.geometry).flat());
  const longitudes = points.map((point) => point[0]);
  const latitudes = points.map((point) => point[1]);
  const west = Math.min(...longitudes);
  const east = Math.max(...longitudes);
  const south = Math.min(...latitudes);
  const north = Math.max(...latitudes);
  const stretch = Math.cos((((south + north) / 2) * Math.PI) / 180);
  const scale = WIDTH / ((east - west) * stretch || 1);
  return {
    height: Math.ceil((north - south) * scale) || 1,
    point: ([longitude, latitude]) => [((longitude - west) * stretch * scale).toFixed(1), ((north - latitude) * scale).toFixed(1)],
  };
}

/** Which of the five steps a value falls in, the highest value in the last. */
function stepOf(value, highest) {
  if (!value || highest <= 0) return -1;
  return Math.min(STEPS.length - 1, Math.floor((value / highest) * STEPS.length));
}

/**
 * Draw the outlines in ``svg``, each filled by ``valueOf(code)`` (null or 0: nothing), with a
 * title naming it and its figure (``format``), and the legend's steps in ``legend`` (a list).
 */
export function drawMap(svg, legend, features, valueOf, format) {
  const { height, point } = projection(features);
  svg.setAttribute("viewBox", `0 0 ${WIDTH} ${height}`);
  const highest = Math.max(0, ...features.map((feature) => valueOf(feature.properties.code) || 0));
  const shapes = features.map((feature) => {
    const path = document.createElementNS(SVG, "path");
    const data = rings(feature.geometry)
      .map((ring) => `M${ring.map((each) => point(each).join(" ")).join("L")}Z`)
      .join("");
    const value = valueOf(feature.properties.code);
    const step = stepOf(value, highest);
    path.setAttribute("d", data);
    path.setAttribute("fill", step < 0 ? NOTHING : STEPS[step]);
    path.setAttribute("class", "neighbourhood");
    path.dataset.code = feature.properties.code;
    const title = document.createElementNS(SVG, "title");
    title.textContent = `${outlineName(feature)}: ${value ? format(value) : t("dashboard.map_nothing")}`;
    path.append(title);
    return path;
  });
  svg.replaceChildren(...shapes);
  drawLegend(legend, highest, format);
}

function swatch(colour) {
  const box = document.createElementNS(SVG, "svg");
  box.setAttribute("viewBox", "0 0 1 1");
  box.setAttribute("class", "swatch");
  box.setAttribute("aria-hidden", "true");
  const square = document.createElementNS(SVG, "rect");
  square.setAttribute("width", "1");
  square.setAttribute("height", "1");
  square.setAttribute("fill", colour);
  box.append(square);
  return box;
}

function drawLegend(legend, highest, format) {
  const items = [];
  const entry = (colour, text) => {
    const item = document.createElement("li");
    item.append(swatch(colour), " ", text);
    items.push(item);
  };
  entry(NOTHING, t("dashboard.map_nothing"));
  if (highest > 0) {
    STEPS.forEach((colour, index) => {
      const low = (highest * index) / STEPS.length;
      const high = (highest * (index + 1)) / STEPS.length;
      entry(colour, t("dashboard.map_step", { low: format(Math.ceil(low)), high: format(Math.floor(high)) }));
    });
  }
  legend.replaceChildren(...items);
}
