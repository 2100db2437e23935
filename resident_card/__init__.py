"""Toshav: the city's digital resident card, and the home of the service's shared foundation."""
