"""An INSERT that skips a row already there (``ON CONFLICT DO NOTHING``), in the dialect of the
database the session is bound to: PostgreSQL in production, SQLite embedded."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kernel.database import Base


def insert_if_absent(
    session: Session, into: type[Base] | Table
) -> postgresql.Insert | sqlite.Insert:
    """``INSERT INTO into ... ON CONFLICT DO NOTHING``; chain ``.values()`` and ``.returning()``.

    With ``RETURNING``, a skipped row returns nothing: the caller learns that the row was there.
    """
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(into).on_conflict_do_nothing()
    return sqlite.insert(into).on_conflict_do_nothing()
