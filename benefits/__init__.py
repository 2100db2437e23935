"""The benefits: one double-entry ledger, and the eligibility engine that decides who gets what."""
