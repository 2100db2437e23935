"""Every query of the ledger, by sub-domain: accounts, transactions and their postings, holds,
the write path that locks and records (posting), and the ledger's self-check."""
