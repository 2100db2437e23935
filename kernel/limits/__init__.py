"""Limits on volume: how often one client address, and one account, may take an action (sign in,
enrol, verify a card, ...), counted where every process of the service sees the same count.

See docs/decisions/0013-limits-on-volume.md.
"""
