"""Cashback's pages: a business's till, and cashback's part of the clerk's desk."""
