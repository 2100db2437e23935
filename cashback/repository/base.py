"""What every cashback repository shares: its session, and an INSERT that does nothing on a
conflict, in the session's database's dialect."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


class Repository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _insert(self) -> Any:
        """INSERT with ``ON CONFLICT DO NOTHING`` in this database's dialect."""
        if self.session.get_bind().dialect.name == "postgresql":
            return postgresql.insert
        return sqlite.insert
