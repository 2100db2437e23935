"""The jobs domain's errors. Reading the runs refuses nothing of its own (the caller's role is
checked by the accounts' dependencies), and a job's failure is recorded in its run, not answered;
what is left is the root's mistake of listing two jobs under one name."""

from __future__ import annotations


class JobNamedTwice(ValueError):
    """Two enabled jobs share a name: their runs would be recorded as one."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(f"jobs named twice: {', '.join(names)}")
