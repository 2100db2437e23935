"""A year of the city's activity for ``toshav demo load --scale N``: residents, businesses,
campaigns, purchases, refunds, redemptions, settlements, permits, free time and inspections over
the twelve city months before now, written in bulk as the services would write them."""
