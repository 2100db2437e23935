"""Uptake: how much of each programme's allowance the city granted its residents, month by month,
and how much of it they used; the dashboard's first figure (``GET /api/v1/stats/uptake``)."""
