"""Parking's rules, one module each, named as the city names them; import the module you mean
(``from parking.service import permits``). They never commit: the caller does.

- ``calendar``: the city's calendar as parking counts it (a permit's year, its last day);
- ``zones``: zones and car parks, the zone of an address or a point, loading the zone files;
- ``vehicles``: a household's vehicles, registered and removed;
- ``passes``: a permit's end revokes its pass; the pass as an image and a page to print; the
  revocation list and the inspector's offline bundle;
- ``permits``: applying for a permit, the facts the rule reads, moving house and reconciling;
- ``parking_time``: the monthly free minutes, parking sessions and paid time;
- ``inspections``: judging a scanned pass from memory or a plate from the database, and the record;
- ``statistics``: inspections and permits by zone and month over a window, for the dashboard.

The facts the resident-permit rule reads (``parking_zone``, ``vehicle_count``,
``vehicle_in_household``, ``household_parking_permits``) and ``resident_parking_facts``, their
source, are parking's ``Facts`` plug-in (``parking.plug_ins``), installed by the composition root
when parking is on, so every decision about a resident (``/benefits/me``, the monthly grants) is
made with them.

Moving house: a permit is for the zone of the holder's address. When the address on record is no
longer in that zone (the registry or a clerk changed it), or the residency is no longer verified,
``permits.reconcile`` ends the permit and revokes its pass, and the resident is offered a permit
for the zone of the new address. It runs when the resident says so (``POST /parking/me/moved``),
before every application, and for everyone by ``toshav parking reconcile`` (run it after a
registry import).
"""
