"""The eligibility engine's rules, by sub-domain: the city's clock, a resident's facts, programmes
and their dated rule versions, decisions that say why, programme files and their rule tests,
periodic allowances, and the wallet's lines. Never commits: the caller does.

Ranges are half-open everywhere: a programme runs, and a rule version is in force, from its start
up to (not including) its end; ``None`` as an end means open-ended. A day given without a time is
that day's midnight on the city's clock.
"""
