"""The service's settings: the kernel's and the card's, and every domain's own, in one class.

Every domain's fields are there whether the domain is on or off, so an operator's whole
environment is checked at start (a bad ``TOSHAV_CASHBACK_…`` value is refused even with cashback
off). This is the one place the environment is read into settings.
"""

from __future__ import annotations

from functools import lru_cache

from cashback.settings import CashbackSettings
from figures.settings import FiguresSettings
from messages.settings import MessagesSettings
from parking.settings import ParkingSettings


class ServiceSettings(ParkingSettings, CashbackSettings, MessagesSettings, FiguresSettings):
    """Everything the service reads from its environment (prefix ``TOSHAV_``). Its bases are the
    settings classes the domains' manifests name (``Manifest.settings``); a test holds them equal."""


@lru_cache(maxsize=1)
def get_settings() -> ServiceSettings:
    """The settings of this process's environment, read once."""
    return ServiceSettings()
