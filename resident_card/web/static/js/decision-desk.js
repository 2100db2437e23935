// A clerk's desk of requests an admin decides (appeals, erasures): the list, the oldest open first;
// one request opened with its details; and the decision, an outcome with the reason the person will
// read. Auditors read only. Each desk names its elements by its own words (``one``: the form
// "appeal-form", the heading "appeal-heading"; ``many``: the list "appeals-list", the desk
// "appeals-desk") and says what it shows of a request.

import { call } from "./api.js";
import { onLanguageChange, setDate, setText, t } from "./i18n.js";
import { announce, announceDetail, busy, clearMessage, goSignIn, markInvalid } from "./page.js";

const $ = (id) => document.getElementById(id);

/**
 * The desk's ``startPart``. ``desk`` holds: ``one`` and ``many`` (the element names), ``path`` (the
 * list's API path; a request is decided at ``path/{id}/decide``), ``states`` (each status's words),
 * ``title(request)`` (its line in the list and its heading), ``name(request)`` (who the decision is
 * about, read before deciding), ``details(list, request)``, and the words ``empty``, ``count``,
 * ``outcomeNeeded`` and ``decided``.
 */
export function decisionDesk(desk) {
  const { one, many } = desk;
  let canChange = false;
  let requests = [];
  let total = 0;
  let open = null;

  function badge(element, status) {
    element.dataset[one] = status;
    return setText(element, desk.states[status] || desk.states.submitted);
  }

  function drawList() {
    const list = $(`${many}-list`);
    list.replaceChildren();
    for (const request of requests) {
      const item = document.createElement("li");
      if (open && open.id === request.id) item.setAttribute("aria-current", "true");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link-button";
      button.textContent = desk.title(request);
      button.addEventListener("click", () => openRequest(request.id));
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.append(badge(document.createElement("span"), request.status), " · ");
      meta.append(setDate(document.createElement("time"), request.created_at));
      item.append(button, meta);
      list.append(item);
    }
    if (requests.length === 0) setText($(`${many}-count`), desk.empty);
    else setText($(`${many}-count`), desk.count, { shown: requests.length, total });
  }

  async function loadList() {
    const query = new URLSearchParams({ limit: "100" });
    const status = $(`${one}-filter`).value;
    if (status) query.set("status", status);
    const result = await call(`${desk.path}?${query}`);
    if (result.status === 401) return goSignIn();
    if (!result.ok) {
      announceDetail($(`${many}-count`), result.data.detail);
      return;
    }
    requests = result.data.items || [];
    total = typeof result.data.total === "number" ? result.data.total : requests.length;
    drawList();
  }

  function drawRequest() {
    $(`${one}-heading`).textContent = desk.title(open);
    badge($(`${one}-state`), open.status);
    const list = $(`${one}-details`);
    list.replaceChildren();
    desk.details(list, open);
    const form = $(`${one}-form`);
    if (form) form.hidden = !canChange || open.status !== "submitted";
    $(one).hidden = false;
  }

  function openRequest(id) {
    open = requests.find((request) => request.id === id) || null;
    if (!open) return;
    clearMessage($(`${one}-change`));
    const form = $(`${one}-form`);
    if (form) {
      form.reset();
      markInvalid(form, []);
    }
    drawRequest();
    drawList();
    $(one).focus();
  }

  function wire() {
    $(`${one}-filter`).addEventListener("change", () => loadList());
    onLanguageChange(() => {
      drawList();
      if (open) drawRequest();
    });
    const form = $(`${one}-form`);
    if (!form) return;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const change = $(`${one}-change`);
      const chosen = form.querySelector("input[name=outcome]:checked");
      const reason = $(`${one}-reason`).value.trim();
      if (!chosen) {
        announce(change, desk.outcomeNeeded, { tone: "error" });
        form.querySelector("input[name=outcome]").focus();
        return;
      }
      if (!reason) {
        announce(change, "clerk.reason_needed", { tone: "error" });
        markInvalid(form, ["reason"]);
        $(`${one}-reason`).focus();
        return;
      }
      markInvalid(form, []);
      await busy(form.querySelector("button[type=submit]"), async () => {
        const name = desk.name(open);
        const result = await call(`${desk.path}/${encodeURIComponent(open.id)}/decide`, {
          method: "POST",
          json: { outcome: chosen.value, reason },
        });
        if (result.status === 401) return goSignIn();
        if (!result.ok) {
          announceDetail(change, result.data.detail);
          return;
        }
        open = result.data;
        form.reset();
        drawRequest();
        $(one).focus();
        announce(change, desk.decided, {
          tone: "ok",
          params: { name, status: t(desk.states[open.status]) },
        });
        await loadList();
      });
    });
  }

  /** Start the desk: ``changes`` is whether this clerk may decide (admins) or only read (auditors). */
  return async function startPart({ changes }) {
    canChange = changes;
    // An auditor changes nothing: the form is not hidden but gone.
    if (!canChange) $(`${one}-form`)?.remove();
    wire();
    $(`${many}-desk`).hidden = false;
    await loadList();
  };
}
