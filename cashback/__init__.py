"""Cashback for local small businesses: merchants, campaigns, purchases, settlement."""
