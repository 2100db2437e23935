"""Triggers that keep rows: an append-only table's rows are never updated or deleted, and a
ledger hold's row is never deleted (it is released or expires instead).

Used by migrations on PostgreSQL and SQLite alike. ``TRUNCATE`` (PostgreSQL only; SQLite has none,
and its ``DELETE`` without ``WHERE`` fires the row triggers) skips row triggers, so the tables that
keep their rows refuse it with a statement trigger of their own. SQLite's batch mode copies a
table anew without its triggers: a migration that alters such a table makes them again after it.
"""

from __future__ import annotations

from alembic import op

# The one function every TRUNCATE trigger calls; it names the table in its message.
_NO_TRUNCATE = "rows_kept_no_truncate"


def protect(table: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{table} is append-only: % is not allowed', TG_OP
                    USING ERRCODE = 'raise_exception';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
    elif dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} is not allowed'); END"
            )


def unprotect(table: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
    elif dialect == "sqlite":
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")


def refuse_truncate(table: str) -> None:
    """PostgreSQL: refuse ``TRUNCATE`` of the table (a statement trigger; row triggers miss it)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION {_NO_TRUNCATE}() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '% keeps every row: TRUNCATE is not allowed', TG_TABLE_NAME
                USING ERRCODE = 'raise_exception';
        END;
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {_NO_TRUNCATE}()"
    )


def allow_truncate(table: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")


def drop_truncate_function() -> None:
    """Once no table refuses ``TRUNCATE`` any more."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {_NO_TRUNCATE}()")


def refuse_delete(table: str) -> None:
    """Refuse ``DELETE`` of the table's rows; updates stay allowed."""
    message = f"{table} keeps every row: DELETE is not allowed"
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION {table}_no_delete() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{message}' USING ERRCODE = 'raise_exception';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_no_delete()"
        )
    elif dialect == "sqlite":
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )


def allow_delete(table: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_no_delete()")
    elif dialect == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
