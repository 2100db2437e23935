"""The settings of figures: the service's (``kernel.settings.Settings``) and what the published
figures read from the same environment (``TOSHAV_OPEN_DATA_K``, ``TOSHAV_FIGURES_…``)."""

from __future__ import annotations

from pydantic import Field

from kernel.settings import Settings, settings_as


class FiguresSettings(Settings):
    """What figures read from the environment, beside the kernel's and the card's settings."""

    # A published cell that describes fewer than this many people is suppressed (with the cells
    # that would give it away from the totals).
    open_data_k: int = Field(default=10, ge=2, le=10_000)
    # How long a process answers the open data (API, neighbourhoods' pages) from the publication
    # it made last, in seconds; 0 makes it afresh for every request. Published months are whole
    # past months, so a quarter of an hour only delays a correction of a closed month.
    open_data_cache_seconds: int = Field(default=900, ge=0, le=86_400)
    # The longest window a statistics request may ask for, in days.
    figures_max_window_days: int = Field(default=1_100, ge=31, le=3_700)
    # PostgreSQL's memory for each sort or hash of a statistics request's transaction, so a year's
    # rows are grouped in memory rather than sorted on disk (``figures.reading``).
    figures_work_mem: str = Field(default="64MB", pattern=r"^[1-9][0-9]{0,5}(kB|MB|GB)$")


def figures_settings(settings: Settings) -> FiguresSettings:
    """The service's settings as figures read them."""
    return settings_as(settings, FiguresSettings)
