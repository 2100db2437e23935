// Cashback in the wallet: the balances (to spend, held, owed back), each purchase with its cashback
// and when it is or became spendable, and the statement behind the balances. Amounts through
// Intl.NumberFormat (formatAmount), dates through Intl.DateTimeFormat in the city's time zone.

import { call } from "./api.js";
import { formatDate, onLanguageChange, setText } from "./i18n.js";
import { announceDetail, goSignIn } from "./page.js";
import { formatAmount, ownBalances } from "./wallet-sections.js";

const $ = (id) => document.getElementById(id);
// The ledger accounts this section shows instead of the wallet's list of balances.
const OWN_ACCOUNTS = ["cashback", "cashback_receivable"];
const STATES = {
  held: "wallet_cashback.held_until",
  available: "wallet_cashback.spendable_since",
  returned: "wallet_cashback.returned",
};

let wallet = null; // the last answer of /cashback/me
let statement = { open: false, entries: null, error: null };

function money(agorot, options) {
  return formatAmount(agorot, "ILS", options);
}

function line(key, params, className) {
  const element = document.createElement("p");
  element.className = className;
  return setText(element, key, params);
}

function drawBalances() {
  const list = $("cashback-balances");
  list.replaceChildren();
  const rows = [
    ["available", "wallet_cashback.available", wallet.available_agorot],
    ["pending", "wallet_cashback.pending", wallet.pending_agorot],
  ];
  if (wallet.owed_agorot) rows.push(["owed", "wallet_cashback.owed", wallet.owed_agorot]);
  for (const [name, key, agorot] of rows) {
    const item = document.createElement("li");
    item.dataset.balance = name;
    const title = setText(document.createElement("h3"), key);
    const amount = document.createElement("p");
    amount.className = "balance-amount";
    amount.textContent = money(agorot);
    item.append(title, amount);
    list.append(item);
  }
}

function drawPurchases() {
  const list = $("cashback-purchases");
  list.replaceChildren();
  for (const purchase of wallet.purchases) {
    const item = document.createElement("li");
    item.dataset.purchase = purchase.id;
    item.dataset.state = purchase.state;
    const business = document.createElement("span");
    business.className = "entry-kind";
    business.textContent = purchase.business;
    const cashback = document.createElement("span");
    cashback.className = "entry-amount";
    cashback.textContent = money(purchase.cashback_agorot);
    item.append(
      business,
      cashback,
      line("wallet_cashback.purchase_amount", { amount: money(purchase.amount_agorot) }, "entry-when"),
    );
    const when = purchase.state === "available" ? purchase.released_at || purchase.available_at : purchase.available_at;
    item.append(line(STATES[purchase.state] || STATES.held, { date: formatDate(when, { withTime: true }) }, "entry-when"));
    if (purchase.refunded_agorot) {
      item.append(
        line(
          "wallet_cashback.refunded_part",
          { amount: money(purchase.refunded_agorot), cashback: money(purchase.cashback_returned_agorot) },
          "entry-when",
        ),
      );
    }
    list.append(item);
  }
  $("cashback-purchases-empty").hidden = wallet.purchases.length > 0;
}

function drawStatement() {
  const holder = $("cashback-statement");
  const toggle = $("cashback-statement-toggle");
  toggle.setAttribute("aria-expanded", String(statement.open));
  setText(toggle, statement.open ? "balances.hide_statement" : "balances.show_statement");
  holder.replaceChildren();
  if (!statement.open) return;
  if (statement.error) {
    const message = document.createElement("p");
    message.className = "status statement-status";
    message.setAttribute("role", "status");
    holder.append(message);
    announceDetail(message, statement.error);
    return;
  }
  if (!statement.entries) {
    holder.append(setText(document.createElement("p"), "balances.statement_loading"));
    return;
  }
  if (!statement.entries.length) {
    holder.append(setText(document.createElement("p"), "balances.statement_empty"));
    return;
  }
  const list = document.createElement("ol");
  list.className = "statement cashback-statement";
  for (const entry of statement.entries) {
    const item = document.createElement("li");
    item.dataset.kind = entry.kind;
    const what = setText(document.createElement("span"), `wallet_cashback.entry.${entry.kind}`, {
      business: entry.business,
    });
    what.className = "entry-kind";
    const amount = document.createElement("span");
    amount.className = "entry-amount";
    amount.textContent = money(entry.amount_agorot, { signed: true });
    item.append(what, amount, line("wallet_cashback.on", { date: formatDate(entry.at, { withTime: true }) }, "entry-when"));
    if (entry.kind === "held" && entry.held_until) {
      item.append(
        line("wallet_cashback.held_until", { date: formatDate(entry.held_until, { withTime: true }) }, "entry-when"),
      );
    }
    list.append(item);
  }
  holder.append(list);
}

async function loadStatement() {
  const result = await call("/cashback/me/statement");
  if (result.status === 401) return goSignIn();
  if (!result.ok) {
    statement.error = result.data.detail;
  } else {
    statement.error = null;
    statement.entries = result.data.entries;
  }
  drawStatement();
}

function draw() {
  if (!wallet) return;
  drawBalances();
  drawPurchases();
  drawStatement();
}

let started = false;

/** Show the resident's cashback (the wallet starts each of its parts so). */
export async function startPart() {
  ownBalances(OWN_ACCOUNTS);
  if (!started) {
    started = true;
    $("cashback-statement-toggle").addEventListener("click", () => {
      statement.open = !statement.open;
      drawStatement();
      if (statement.open && !statement.entries) loadStatement();
    });
    onLanguageChange(draw); // dates and amounts are written for the language
  }
  const result = await call("/cashback/me");
  if (result.status === 401) return goSignIn();
  if (result.status !== 200) {
    $("cashback").hidden = true;
    return;
  }
  wallet = result.data;
  statement = { open: statement.open, entries: null, error: null };
  draw();
  if (statement.open) loadStatement();
  $("cashback").hidden = false;
}
