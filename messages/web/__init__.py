"""The inbox's part of the wallet: its template, script, styles and texts."""
