"""Toshav: the city's digital resident card: residents, households, the card and its signed QR."""
