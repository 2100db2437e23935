// The wallet's card, benefits and balances. Each section shows only when its API answers for this
// resident: the card once residency is verified, the benefits and balances once the city runs them.
// Amounts are written as a person reads them: minutes as hours and minutes, agorot as shekels.

import { call } from "./api.js";
import { formatMinutes, language, onLanguageChange, setDate, setText, t } from "./i18n.js";
import { announceDetail, goSignIn } from "./page.js";
import { appealControl, loadAppeals, onAppealSent } from "./wallet-appeals.js";
import { onCard, startCard } from "./wallet-card.js";

const $ = (id) => document.getElementById(id);
// Arabic in Israel is written with Western digits, as in i18n.js.
const LOCALES = { he: "he-IL", ar: "ar-IL-u-nu-latn", en: "en-GB" };
const MINUS = "\u2212";
const STATEMENT_PAGE = 20;

/** An amount of a ledger unit, as a person reads it: "2 hours", "₪12.50". */
export function formatAmount(amount, unit, { signed = false } = {}) {
  if (typeof amount !== "number") return "";
  if (unit === "ILS") {
    return new Intl.NumberFormat(LOCALES[language()] || "he-IL", {
      style: "currency",
      currency: "ILS",
      minimumFractionDigits: 2,
      maximumFractionDigits: 2,
      signDisplay: signed ? "exceptZero" : "auto",
    }).format(amount / 100);
  }
  let sign = amount < 0 ? MINUS : "";
  if (signed && amount > 0) sign = "+";
  if (unit === "PARKING_MIN") {
    return sign + formatMinutes(Math.abs(amount));
  }
  return sign + String(Math.abs(amount));
}

function textIn(value) {
  if (value && typeof value === "object") return value[language()] || value.he || value.en || "";
  return value === undefined || value === null ? "" : String(value);
}

// --- benefits -------------------------------------------------------------------------------------

let benefits = null; // the last answer of /benefits/me (its texts are in the language asked for)
let decisions = []; // the resident's stored decisions, newest first: a refusal can be appealed

const OUTCOMES = {
  pass: "benefits.outcome.pass",
  fail: "benefits.outcome.fail",
  missing: "benefits.outcome.missing",
};
const PERIODS = { month: "benefits.allowance_month" };

/** The reasons a person can act on: each condition's own verdict, not the "all of these" around them. */
function plainReasons(reasons) {
  const leaves = reasons.filter((reason) => !["all", "any", "not"].includes(reason.kind));
  return leaves.length ? leaves : reasons;
}

function drawBenefits() {
  const list = $("benefit-list");
  list.replaceChildren();
  const items = benefits && Array.isArray(benefits.benefits) ? benefits.benefits : [];
  for (const benefit of items) {
    const programme = benefit.programme || {};
    const item = document.createElement("li");
    item.dataset.programme = programme.code || "";
    const name = document.createElement("h3");
    name.textContent = programme.name || programme.code || "";
    const verdict = document.createElement("p");
    const badge = document.createElement("span");
    badge.className = "badge eligibility";
    badge.dataset.eligible = String(Boolean(benefit.eligible));
    setText(badge, benefit.eligible ? "benefits.eligible" : "benefits.not_eligible");
    verdict.append(badge);
    item.append(name, verdict);
    if (programme.description) {
      const description = document.createElement("p");
      description.textContent = programme.description;
      item.append(description);
    }
    const allowance = programme.allowance;
    if (allowance && PERIODS[allowance.period]) {
      item.append(
        setText(document.createElement("p"), PERIODS[allowance.period], {
          amount: formatAmount(allowance.amount, programme.unit),
        }),
      );
    }
    const reasons = plainReasons(benefit.reasons || []);
    if (reasons.length) {
      const title = setText(document.createElement("p"), "benefits.reasons");
      title.className = "reasons-title";
      const why = document.createElement("ul");
      why.className = "reasons";
      for (const reason of reasons) {
        const line = document.createElement("li");
        line.dataset.outcome = reason.outcome;
        const outcome = setText(document.createElement("span"), OUTCOMES[reason.outcome] || "benefits.outcome.missing");
        outcome.className = "outcome";
        line.append(outcome, ": ", reason.text);
        why.append(line);
      }
      item.append(title, why);
    }
    // A refusal the city stored can be appealed; once appealed, its status shows instead.
    const refusal = benefit.eligible ? null : decisions.find((d) => d.programme === programme.code && !d.eligible);
    if (refusal) item.append(appealControl(refusal.id, programme.name || programme.code));
    list.append(item);
  }
  $("benefits-empty").hidden = items.length > 0;
}

async function loadDecisions() {
  const result = await call("/benefits/me/decisions?limit=200");
  decisions = result.ok && Array.isArray(result.data) ? result.data : [];
}

async function loadBenefits() {
  const [result] = await Promise.all([call("/benefits/me"), loadDecisions(), loadAppeals()]);
  if (result.status === 401) return goSignIn();
  if (result.status !== 200) {
    $("benefits").hidden = true;
    return;
  }
  benefits = result.data;
  drawBenefits();
  $("benefits").hidden = false;
  drawBalances(); // a programme's name can name a balance the card does not
}

// --- balances and statements ----------------------------------------------------------------------

let accounts = null; // the last answer of /ledger/me/accounts
let cardLines = []; // the card's benefit lines: each balance's name in three languages
const statements = new Map(); // account id -> {entries, next, open}
const owned = new Set(); // purposes a domain's own wallet section shows, with its own statement

/** A domain's part of the wallet shows these accounts itself: the list of balances leaves them out. */
export function ownBalances(purposes) {
  for (const purpose of purposes) owned.add(purpose);
  drawBalances();
}

const KINDS = {
  grant: "balances.kind.grant",
  expiry: "balances.kind.expiry",
  adjustment: "balances.kind.adjustment",
  reversal: "balances.kind.reversal",
  cashback: "balances.kind.cashback_released",
  cashback_redemption: "balances.kind.cashback_spent",
  cashback_refund: "balances.kind.cashback_refunded",
  cashback_recovery: "balances.kind.cashback_recovered",
};
// Every ledger account the wallet can show, by a name a person reads (never the account's code).
const ACCOUNT_NAMES = {
  cashback: "balances.account.cashback",
  cashback_receivable: "balances.account.cashback_receivable",
  parking_free_minutes: "balances.account.parking_free_minutes",
  parking_used: "balances.account.parking_used",
};

function accountName(account) {
  const line = cardLines.find((candidate) => candidate.code === account.purpose);
  if (line) return textIn(line.label);
  const programme = (benefits?.benefits || []).map((b) => b.programme).find((p) => p && p.code === account.purpose);
  if (programme) return programme.name;
  return t(ACCOUNT_NAMES[account.purpose] || "balances.account.other");
}

function drawStatement(account, holder) {
  const state = statements.get(account.id);
  holder.replaceChildren();
  if (!state || !state.open) return;
  if (state.error) {
    const message = document.createElement("p");
    message.className = "status statement-status";
    message.setAttribute("role", "status");
    holder.append(message);
    announceDetail(message, state.error);
    return;
  }
  if (!state.entries) {
    holder.append(setText(document.createElement("p"), "balances.statement_loading"));
    return;
  }
  if (!state.entries.length) {
    holder.append(setText(document.createElement("p"), "balances.statement_empty"));
    return;
  }
  const list = document.createElement("ol");
  list.className = "statement";
  for (const entry of state.entries) {
    const line = document.createElement("li");
    const kind = KINDS[entry.kind]
      ? setText(document.createElement("span"), KINDS[entry.kind])
      : setText(document.createElement("span"), "balances.kind.other");
    kind.className = "entry-kind";
    const amount = document.createElement("span");
    amount.className = "entry-amount";
    amount.textContent = formatAmount(entry.amount, entry.unit, { signed: true });
    const when = document.createElement("time");
    when.className = "entry-when";
    setDate(when, entry.effective_at, { withTime: true });
    const after = setText(document.createElement("span"), "balances.balance_after", {
      amount: formatAmount(entry.balance_after, entry.unit),
    });
    after.className = "entry-after";
    line.append(kind, amount, when, after);
    list.append(line);
  }
  holder.append(list);
  if (state.next) {
    const more = setText(document.createElement("button"), "balances.more");
    more.type = "button";
    more.className = "button";
    more.addEventListener("click", () => loadStatement(account, holder, { more: true }));
    holder.append(more);
  }
}

async function loadStatement(account, holder, { more = false } = {}) {
  const state = statements.get(account.id);
  const query = new URLSearchParams({ limit: String(STATEMENT_PAGE) });
  if (more && state.next) query.set("before", String(state.next));
  const result = await call(`/ledger/me/accounts/${encodeURIComponent(account.id)}/statement?${query}`);
  if (result.status === 401) return goSignIn();
  if (!result.ok) {
    state.error = result.data.detail;
  } else {
    state.error = null;
    state.entries = more ? [...(state.entries || []), ...result.data.entries] : result.data.entries;
    state.next = result.data.next_before;
  }
  // The balances may have been drawn again while the statement was on its way (the card came,
  // the language changed): the statement goes where the account is shown now.
  drawStatement(account, document.getElementById(holder.id) || holder);
}

function drawBalances() {
  const list = $("balance-list");
  if (!accounts) return;
  list.replaceChildren();
  const shown = accounts.filter((account) => !owned.has(account.purpose));
  for (const account of shown) {
    const item = document.createElement("li");
    item.dataset.account = account.purpose;
    const name = document.createElement("h3");
    name.id = `balance-${account.id}`;
    name.textContent = accountName(account);
    const balance = account.balance || {};
    const amount = document.createElement("p");
    amount.className = "balance-amount";
    amount.textContent = formatAmount(balance.available, account.unit);
    item.append(name, amount);
    if (balance.pending) {
      const pending = setText(document.createElement("p"), "balances.pending", {
        amount: formatAmount(balance.pending, account.unit),
      });
      pending.className = "balance-pending";
      item.append(pending);
    }
    const holder = document.createElement("div");
    holder.id = `statement-${account.id}`;
    const state = statements.get(account.id) || { open: false, entries: null, next: null, error: null };
    statements.set(account.id, state);
    const toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "button";
    toggle.setAttribute("aria-controls", holder.id);
    toggle.setAttribute("aria-expanded", String(state.open));
    setText(toggle, state.open ? "balances.hide_statement" : "balances.show_statement");
    toggle.addEventListener("click", () => {
      state.open = !state.open;
      toggle.setAttribute("aria-expanded", String(state.open));
      setText(toggle, state.open ? "balances.hide_statement" : "balances.show_statement");
      drawStatement(account, holder);
      if (state.open && !state.entries) loadStatement(account, holder);
    });
    item.append(toggle, holder);
    drawStatement(account, holder);
    list.append(item);
  }
  $("balances-empty").hidden = shown.length > 0;
  // Every account shown by its own section: no empty list of balances beside it.
  $("balances").hidden = !shown.length && accounts.length > 0;
}

async function loadBalances() {
  const result = await call("/ledger/me/accounts");
  if (result.status === 401) return goSignIn();
  if (result.status !== 200 || !Array.isArray(result.data)) {
    $("balances").hidden = true;
    return;
  }
  accounts = result.data;
  $("balances").hidden = false;
  drawBalances();
}

// --- start ----------------------------------------------------------------------------------------

let started = false;

/** Show the card, benefits and balances of a resident (their record from /residents/me). */
export async function startSections(resident) {
  if (!started) {
    started = true;
    onCard((card) => {
      cardLines = Array.isArray(card.benefits) ? card.benefits : [];
      drawBalances();
    });
    onLanguageChange(() => {
      drawBalances();
      loadBenefits(); // the reasons come in the language asked for
    });
    onAppealSent(() => drawBenefits());
  }
  await Promise.all([startCard(resident.status), loadBenefits(), loadBalances()]);
}
