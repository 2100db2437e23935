"""How long a kind of personal record is kept: a domain's rule, listed in its manifest.

Each domain owns the retention of its own records and the setting that says for how long
(``TOSHAV_<DOMAIN>_…_RETENTION_DAYS``). Its nightly job applies every rule it lists, each run
recorded with its kind, cutoff and rows; the privacy page states the same settings, live.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from kernel.settings import Settings


@dataclass(frozen=True)
class Retention:
    """One kind of record (``kind``, stable and dotted by domain: "parking.inspection_plates"),
    kept ``setting`` days (a field of the service's settings); ``apply(session, cutoff, now)``
    removes or anonymises those from before the cutoff and says how many rows it changed. Applying it
    twice with one cutoff changes nothing the second time."""

    kind: str
    setting: str
    apply: Callable[[Session, datetime, datetime], int]

    def days(self, settings: Settings) -> int:
        days = getattr(settings, self.setting)
        if not isinstance(days, int) or days < 1:
            raise TypeError(f"{self.setting} is not a number of days in these settings")
        return days

    @property
    def variable(self) -> str:
        """The environment variable that sets it."""
        return f"TOSHAV_{self.setting.upper()}"
