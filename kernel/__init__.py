"""The kernel: what every domain stands on (settings, the database, errors, languages, the clock,
the JSON gate, the change feed, the process's runtime). It imports no domain."""
