"""Cashback's rules, one module per part of the scheme; callers import the module they mean. None
of them commits: the request's (or the command's) unit of work does.

- ``merchants``: businesses apply, clerks decide, staff accounts, what the city owes a business;
- ``campaigns``: terms, budgets and top-ups, a clerk's changes, pausing and ending, coverage;
- ``purchases``: recording a purchase at the till, its cashback held for the return window;
- ``releases``: capturing held cashback once the return window is over;
- ``wallets``: a resident's cashback as they see it;
- ``refunds``, ``redemptions``, ``flags`` (fraud signals), ``settlement`` (monthly statements);
- ``accounts`` (the ledger accounts cashback posts to), ``checks`` (a request's key, amount and
  hash) and ``scans`` (the card scanned at the till): pieces the others share.

Where the money is (all in the ledger, in agorot):

- a campaign's **budget** (owner: the campaign; never below zero) is funded from the city's
  ``cashback_funding`` account by an audited top-up;
- a purchase's cashback is a **hold** from the budget to the resident's ``cashback`` account for the
  return window; once the window is over it is captured and the resident can spend it;
- a refund takes back the proportional cashback: from the hold while the window runs, from the
  resident's balance afterwards; what the resident has already spent comes back to the budget as a
  **receivable** (the resident's ``cashback_receivable`` account goes below zero by what they owe),
  and the resident's next cashback that becomes available settles it first, between their own two
  accounts;
- a redemption moves cashback from the resident to the business's ``owed_to_merchant`` account;
- settlement pays each business its month's redemptions, into the city's ``cashback_payouts``.

Locks, always in this order so that no two requests wait on each other in a circle: the resident's
wallet row, then purchase rows, then ledger accounts (the ledger locks those of one call by id). A
transaction touches one resident and one budget, and the only city-wide accounts (funding, payouts)
are locked alone with one other, so no cycle can form; the release command commits resident by
resident for the same reason. A purchase also consumes its card token's ``jti`` first, under a
unique constraint, so a replayed token (or twenty retries of one request) waits for the first use
and then gets its answer.
"""
