"""The ledger's rules, by sub-domain: posting (the one write path), accounts, transactions,
holds, a clerk's corrections, balances and statements, and the ledger's check. Other packages post,
hold, reverse and read through these modules. Never commits: the caller's unit of work does.
"""
