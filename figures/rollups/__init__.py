"""Rollups: sums of an append-only table kept by city day, so a figure over a year reads a few
hundred rows instead of every record, and stays exact (``repository``)."""
