// The wallet's parking sessions as list items: a vehicle parked now with its running time and the
// button that stops it, and the recent sessions with their free and paid minutes.

import { formatTime, setDate, setText, t } from "./i18n.js";
import { isolated, plateElement } from "./parking-plate.js";
import { formatAmount } from "./wallet-sections.js";

const SECOND = 1000;

/** Parking minutes as the page writes an amount of them. */
export function minutesText(minutes) {
  return formatAmount(minutes || 0, "PARKING_MIN");
}

/** How long a session has run, as h:mm:ss, by the server's clock (offset: its lead on this phone's). */
export function elapsedText(startedAt, offset) {
  const seconds = Math.max(0, Math.floor((Date.now() + offset - Date.parse(startedAt)) / SECOND));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return `${hours}:${String(minutes).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;
}

/** One vehicle parked now: where, since when, for how long so far, and the button that stops it. */
export function runningItem(session, { zoneName, offset, onStop }) {
  const item = document.createElement("li");
  item.className = "parking-running";
  item.dataset.session = session.id;
  const title = setText(document.createElement("p"), "parking.running");
  title.className = "running-title";
  const what = setText(document.createElement("p"), "parking.running_what", {
    plate: isolated(session.plate),
    zone: zoneName(session.zone),
    time: formatTime(new Date(session.started_at)),
  });
  what.className = "running-what";
  const elapsed = document.createElement("p");
  elapsed.className = "elapsed";
  const figure = document.createElement("span");
  figure.className = "elapsed-figure";
  figure.setAttribute("role", "timer");
  figure.dir = "ltr";
  figure.dataset.since = session.started_at;
  figure.textContent = elapsedText(session.started_at, offset);
  elapsed.append(setText(document.createElement("span"), "parking.elapsed"), " ", figure);
  const stop = setText(document.createElement("button"), "parking.stop");
  stop.type = "button";
  stop.className = "button primary";
  stop.setAttribute("aria-label", t("parking.stop_label", { plate: session.plate })); // two cars, two buttons
  stop.addEventListener("click", () => onStop(session, stop));
  item.append(title, what, elapsed, stop);
  return item;
}

/** One past or running session: which vehicle where, when it started, its minutes. */
export function sessionItem(session, zoneName) {
  const item = document.createElement("li");
  item.dataset.status = session.status;
  const what = document.createElement("p");
  what.className = "session-what";
  // A session past its retention period has no plate any more: only where and when.
  if (session.plate) what.append(plateElement(session.plate), " · ");
  what.append(zoneName(session.zone));
  const when = document.createElement("time");
  when.className = "session-when";
  setDate(when, session.started_at, { withTime: true });
  const figures = document.createElement("p");
  figures.className = "session-figures";
  if (session.status === "running") setText(figures, "parking.session_running");
  else {
    setText(figures, "parking.session_minutes", {
      minutes: minutesText(session.minutes),
      free: minutesText(session.free_minutes),
      paid: minutesText(session.paid_minutes),
    });
  }
  item.append(what, when, figures);
  return item;
}
