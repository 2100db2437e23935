"""Parking's pages: the inspector's scanner, and parking's part of the resident's wallet."""
