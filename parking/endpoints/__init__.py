"""Parking over HTTP, one module per resource, each with its own router under ``/parking``:
``inspections`` (an inspector's check, and the inspection desk it reads and writes through),
``zones``, ``residents`` (my parking, moving house, my minutes), ``vehicles``, ``permits``,
``passes`` (a pass as an image and a page to print), ``parking_time`` (parking sessions) and
``records`` (the inspections on record, the revocation list and the offline bundle), and
``statistics`` (inspections and permits by zone and month, for the city's dashboard).
``dependencies`` and ``answers`` hold what several of them share. ``parking/manifest.py`` mounts
the routers in the order their routes are matched."""
