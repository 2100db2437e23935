"""A person's rights over what the service holds about them: a copy of all of it in one file, and
erasure, asked for by the person and decided by a clerk."""
