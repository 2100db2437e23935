"""Parking's rules, the entry point every caller uses (``from parking import service``): zones,
vehicles, permits decided by the eligibility engine, signed passes, free parking time in the
ledger, parking sessions, and inspections. Never commits: the caller does.

The rules live in one module each, named as the city names them; this module gathers their public
names, so ``service.apply_for_permit`` and the rest read as they always did:

- ``calendar``: the city's calendar as parking counts it (a permit's year, its last day);
- ``zones``: zones and car parks, the zone of an address or a point, loading the zone files;
- ``vehicles``: a household's vehicles, registered and removed;
- ``passes``: a permit's end revokes its pass; the pass as an image and a page to print; the
  revocation list and the inspector's offline bundle;
- ``permits``: applying for a permit, the facts the rule reads, moving house and reconciling;
- ``parking_time``: the monthly free minutes, parking sessions and paid time;
- ``inspections``: judging a scanned pass from memory or a plate from the database, and the record.

The facts the resident-permit rule reads (``parking_zone``, ``vehicle_count``,
``vehicle_in_household``, ``household_parking_permits``) and ``resident_parking_facts``, their
source, are parking's ``Facts`` plug-in (``parking.plug_ins``), installed by the composition root
when parking is on, so every decision about a resident (``/benefits/me``, the monthly grants) is
made with them.

Moving house: a permit is for the zone of the holder's address. When the address on record is no
longer in that zone (the registry or a clerk changed it), or the residency is no longer verified,
``reconcile`` ends the permit and revokes its pass, and the resident is offered a permit for the
zone of the new address. It runs when the resident says so (``POST /parking/me/moved``), before
every application, and for everyone by ``toshav parking reconcile`` (run it after a registry import).
"""

from __future__ import annotations

from parking.offline import Reason, Verdict
from parking.service.calendar import (
    city_time_zone,
    last_day,
    one_year_on,
)
from parking.service.inspections import (
    INSPECTION_CLOCK_SKEW,
    MAX_INSPECTION_AGE,
    InspectionCache,
    InspectionDesk,
    InspectionLog,
    InspectionRequest,
    Judged,
    anonymise_inspections,
    inspect,
    inspect_in_memory,
    inspection_record,
    inspections,
    judge_plate,
    record_inspections,
)
from parking.service.parking_time import (
    FREE_MINUTES_PROGRAMME,
    USED_MINUTES_PURPOSE,
    free_minutes,
    grant_free_minutes,
    minute_accounts,
    minutes_between,
    my_sessions,
    start_session,
    stop_session,
)
from parking.service.passes import (
    PASS_DPI,
    PASS_PAGE_MM,
    PRINT_TITLE,
    PRINT_VALID,
    PRINT_ZONE,
    REVOCATIONS_OVERLAP,
    OfflineBundle,
    RevokedPass,
    end_permit,
    offline_bundle,
    pass_page,
    pass_pdf,
    revocations,
)
from parking.service.permits import (
    PERMIT_PROGRAMME,
    Moved,
    Offer,
    PermitView,
    active_pass,
    apply_for_permit,
    cancel_permit,
    issue_pass,
    moved,
    my_permit,
    my_permits,
    offer_for,
    permit_facts,
    permit_state,
    reconcile,
    reconcile_everyone,
    resident_parking_facts,
)
from parking.service.vehicles import (
    household_vehicle,
    household_vehicles,
    own_resident,
    parse_plate,
    register_vehicle,
    remove_vehicle,
)
from parking.service.zones import (
    DATA_FOLDER,
    MAX_HOUSE_NUMBER,
    MAX_ZONE_ROWS,
    REQUIRED_ZONE_COLUMNS,
    ZONE_COLUMNS,
    ZoneImport,
    address_zone,
    import_demo_zones,
    import_zones,
    list_zones,
    read_outlines,
    zone_at_point,
    zone_by_code,
    zone_codes,
    zone_for_address,
    zone_streets,
)

__all__ = [
    "DATA_FOLDER",
    "FREE_MINUTES_PROGRAMME",
    "INSPECTION_CLOCK_SKEW",
    "MAX_HOUSE_NUMBER",
    "MAX_INSPECTION_AGE",
    "MAX_ZONE_ROWS",
    "PASS_DPI",
    "PASS_PAGE_MM",
    "PERMIT_PROGRAMME",
    "PRINT_TITLE",
    "PRINT_VALID",
    "PRINT_ZONE",
    "REQUIRED_ZONE_COLUMNS",
    "REVOCATIONS_OVERLAP",
    "USED_MINUTES_PURPOSE",
    "ZONE_COLUMNS",
    "InspectionCache",
    "InspectionDesk",
    "InspectionLog",
    "InspectionRequest",
    "Judged",
    "Moved",
    "Offer",
    "OfflineBundle",
    "PermitView",
    "Reason",
    "RevokedPass",
    "Verdict",
    "ZoneImport",
    "active_pass",
    "address_zone",
    "anonymise_inspections",
    "apply_for_permit",
    "cancel_permit",
    "city_time_zone",
    "end_permit",
    "free_minutes",
    "grant_free_minutes",
    "household_vehicle",
    "household_vehicles",
    "import_demo_zones",
    "import_zones",
    "inspect",
    "inspect_in_memory",
    "inspection_record",
    "inspections",
    "issue_pass",
    "judge_plate",
    "last_day",
    "list_zones",
    "minute_accounts",
    "minutes_between",
    "moved",
    "my_permit",
    "my_permits",
    "my_sessions",
    "offer_for",
    "offline_bundle",
    "one_year_on",
    "own_resident",
    "parse_plate",
    "pass_page",
    "pass_pdf",
    "permit_facts",
    "permit_state",
    "read_outlines",
    "reconcile",
    "reconcile_everyone",
    "record_inspections",
    "register_vehicle",
    "remove_vehicle",
    "resident_parking_facts",
    "revocations",
    "start_session",
    "stop_session",
    "zone_at_point",
    "zone_by_code",
    "zone_codes",
    "zone_for_address",
    "zone_streets",
]
