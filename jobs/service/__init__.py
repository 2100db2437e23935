"""The jobs' rules, by sub-domain:

- ``claims``: claiming a period's run (once however many workers ask) and recording its outcome;
- ``ticks``: one worker's turn: the runs that are due, and the drains whose turn it is;
- ``overview``: every known job with its cadence and its recent runs, for admins and auditors.
"""
