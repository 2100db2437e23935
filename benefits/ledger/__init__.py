"""The one double-entry benefits ledger: accounts, transactions, postings, holds, balances."""
