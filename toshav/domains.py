"""Every domain's manifest, and those a deployment turns on."""

from __future__ import annotations

from benefits.manifest import MANIFEST as BENEFITS
from cashback.manifest import MANIFEST as CASHBACK
from figures.manifest import MANIFEST as FIGURES
from jobs.manifest import MANIFEST as JOBS
from kernel.manifest import Manifest
from kernel.settings import Settings
from messages.manifest import MANIFEST as MESSAGES
from parking.manifest import MANIFEST as PARKING
from resident_card.manifest import MANIFEST as RESIDENT_CARD

# Always on: the card and the ledger are what every stage of the roll-out stands on; messages
# tell people what happened to them, jobs run what nobody asks for, and figures show the city
# what its benefits do.
CORE: tuple[Manifest, ...] = (RESIDENT_CARD, BENEFITS, MESSAGES, JOBS, FIGURES)
# Turned on by TOSHAV_MODULES, in stages.
OPTIONAL: dict[str, Manifest] = {"parking": PARKING, "cashback": CASHBACK}
EVERY: tuple[Manifest, ...] = (*CORE, *OPTIONAL.values())


def enabled(settings: Settings) -> tuple[Manifest, ...]:
    """The core domains, then the optional ones the settings turn on, in the settings' order."""
    return (*CORE, *(OPTIONAL[name] for name in settings.modules))
