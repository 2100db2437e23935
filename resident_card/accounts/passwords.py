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

# Anything longer is refused before hashing: argon2 would take it, but a megabyte "password" is an
# attack on our CPU, not a secret.
MAX_PASSWORD_BYTES = 1024

# Verified against when the username is unknown, so both failures take the same time.
_DUMMY_HASH = _context.hash("toshav-no-such-user-placeholder")


def password_input_problem(password: str) -> str | None:
    """Why a password cannot be taken at all, or None: 1 to 1024 bytes of UTF-8 text, no NUL.

    NUL is refused because some clients cut a string there, and the same typed password would then
    mean different secrets to different programs. Lone surrogates cannot be UTF-8 at all.
    """
    if not password:
        return "empty"
    try:
        size = len(password.encode("utf-8"))
    except UnicodeEncodeError:
        return "not UTF-8 text"
    if size > MAX_PASSWORD_BYTES:
        return f"longer than {MAX_PASSWORD_BYTES} bytes"
    if "\x00" in password:
        return "contains a NUL character"
    return None


def hash_password(password: str) -> str:
    return str(_context.hash(password))


def verify_password(password: str, password_hash: str | None) -> bool:
    """Check a password; with no hash (or an input we never take), spend the same time and say no."""
    if password_hash is None or password_input_problem(password) is not None:
        _context.verify("toshav-no-such-user-placeholder", _DUMMY_HASH)
        return False
    return bool(_context.verify(password, password_hash))


def needs_rehash(password_hash: str) -> bool:
    return bool(_context.needs_update(password_hash))
