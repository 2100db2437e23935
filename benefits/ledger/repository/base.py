"""What every ledger repository starts from: its session, and inserts that skip an existing row."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


class RepositoryBase:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _insert(self) -> Any:
        """INSERT with ``ON CONFLICT DO NOTHING`` in this database's dialect."""
        if self.session.get_bind().dialect.name == "postgresql":
            return postgresql.insert
        return sqlite.insert
