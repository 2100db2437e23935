"""Password hashing with argon2id through passlib, at or above OWASP's minimum parameters."""

from __future__ import annotations

from passlib.context import CryptContext

# OWASP: argon2id, m = 19 MiB, t = 2, p = 1 at least.
_context = CryptContext(
    schemes=["argon2"],
    argon2__type="ID",
    argon2__memory_cost=19_456,
    argon2__time_cost=2,
    argon2__parallelism=1,
)

MAX_PASSWORD_BYTES = 1024

# Verified against when the username is unknown, so both failures take the same time.
_DUMMY_HASH = _context.hash("toshav-no-such-user-placeholder")


def hash_password(password: str) -> str:
    return str(_context.hash(password))


def verify_password(password: str, password_hash: str | None) -> bool:
    """Check a password; with no hash, spend the same time and say no."""
    if password_hash is None:
        _context.verify(password, _DUMMY_HASH)
        return False
    return bool(_context.verify(password, password_hash))


def needs_rehash(password_hash: str) -> bool:
    return bool(_context.needs_update(password_hash))
