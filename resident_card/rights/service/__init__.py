"""A person's file, and their erasure."""
