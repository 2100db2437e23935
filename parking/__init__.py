"""Parking: zones, vehicles, resident permits, passes, free time, inspections."""
