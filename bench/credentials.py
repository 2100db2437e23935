"""Card tokens and QR codes: how fast, beside the raw primitives measured in the same run.

    .venv/bin/python bench/credentials.py [--seconds 0.4] [--rounds 5]

On one core (the process pins itself to one CPU where the system allows):
- tokens minted per second with ``sign_credential`` beside raw ``cryptography`` ES256 signatures of
  the same bytes, and tokens verified per second with ``verify_credential`` (from a JWKS dict)
  beside raw ES256 verifications: the ratios should be at least 0.5;
- minting through the keyring as an endpoint does it (one small query for the current kid on a
  migrated SQLite database, then the signature), for the cost a request adds;
- milliseconds per QR PNG with our fixed mask beside qrcode's default (mask search, one rectangle
  per module) on the same token, and per SVG.

Each pair is measured in alternating short rounds and each side keeps its best round (the usual
way to read through a busy machine's noise: interference only ever slows a round down).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qrcode
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from resident_card.credentials import service as credentials
from resident_card.credentials.jws import (
    CredentialSigner,
    VerifiedClaims,
    b64url_decode,
    sign_credential,
    verify_credential,
)
from resident_card.credentials.keys import (
    generate_private_key,
    new_kid,
    public_coordinates,
    public_jwk,
)
from resident_card.credentials.qr import qr_png, qr_svg

AUDIENCE = "card"
TTL = timedelta(seconds=120)
SUBJECT = "AbCdEfGhIjKl"


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to CPU {core}"
    return "not pinned (no sched_setaffinity here)"


def rate(work: Callable[[], object], seconds: float) -> float:
    """Calls per second of ``work`` over about ``seconds``."""
    calls = 0
    batch = 1
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(batch):
            work()
        calls += batch
        now = time.perf_counter()
        if now >= deadline:
            return calls / (now - start)
        batch = min(batch * 2, 256)


def paired(
    ours: Callable[[], object], baseline: Callable[[], object], *, seconds: float, rounds: int
) -> tuple[float, float]:
    """Best rates of two callables measured in alternating rounds."""
    ours_rates, base_rates = [], []
    for _ in range(rounds):
        base_rates.append(rate(baseline, seconds))
        ours_rates.append(rate(ours, seconds))
    return max(ours_rates), max(base_rates)


def keyring_mint_rate(
    baseline: Callable[[], object], seconds: float, rounds: int
) -> tuple[float, float]:
    """Tokens per second through ``Keyring.sign`` on a migrated SQLite database, as an endpoint
    mints (with the real clock, so the keyring asks for the current kid once a second), beside
    ``baseline`` in alternating rounds."""
    from kernel.database import make_engine, make_sessionmaker
    from kernel.settings import Settings
    from toshav.schema import upgrade

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        settings = Settings(database_url=url, var_dir=Path(folder))
        engine = make_engine(url)
        try:
            now = datetime.now(UTC)
            with make_sessionmaker(engine)() as session:
                credentials.rotate_key(session, settings, now=now, activate_in=timedelta(0))
                session.commit()
                keyring = credentials.Keyring(settings)

                def mint() -> str:
                    return keyring.sign(
                        session,
                        {"sub": SUBJECT},
                        audience=AUDIENCE,
                        now=datetime.now(UTC),
                        ttl=TTL,
                    )

                mint()
                return paired(mint, baseline, seconds=seconds, rounds=rounds)
        finally:
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.2, help="length of one round")
    parser.add_argument("--rounds", type=int, default=15, help="alternating rounds per pair")
    args = parser.parse_args()

    print(
        f"bench/credentials.py: {pin_to_one_core()}, best of {args.rounds} rounds of {args.seconds}s"
    )
    now = datetime.now(UTC)
    signer = CredentialSigner(
        kid=new_kid(), private_key=generate_private_key(), issuer="https://toshav.example.city"
    )
    x, y = public_coordinates(signer.private_key.public_key())
    jwks = {"keys": [public_jwk(signer.kid, x, y)]}
    token = sign_credential(signer, {"sub": SUBJECT}, audience=AUDIENCE, now=now, ttl=TTL)
    assert isinstance(verify_credential(token, jwks, audience=AUDIENCE, now=now), VerifiedClaims)

    # The raw primitives on exactly the bytes a token signs.
    signing_input = token.rsplit(".", 1)[0].encode()
    algorithm = ec.ECDSA(hashes.SHA256())
    private_key = signer.private_key
    public_key = private_key.public_key()
    raw_signature = b64url_decode(token.rsplit(".", 1)[1])
    der = encode_dss_signature(
        int.from_bytes(raw_signature[:32], "big"), int.from_bytes(raw_signature[32:], "big")
    )
    public_key.verify(der, signing_input, algorithm)

    mint, raw_sign = paired(
        lambda: sign_credential(signer, {"sub": SUBJECT}, audience=AUDIENCE, now=now, ttl=TTL),
        lambda: private_key.sign(signing_input, algorithm),
        seconds=args.seconds,
        rounds=args.rounds,
    )
    verify, raw_verify = paired(
        lambda: verify_credential(token, jwks, audience=AUDIENCE, now=now),
        lambda: public_key.verify(der, signing_input, algorithm),
        seconds=args.seconds,
        rounds=args.rounds,
    )
    through_keyring, raw_sign_again = keyring_mint_rate(
        lambda: private_key.sign(signing_input, algorithm), args.seconds, args.rounds
    )

    def default_png() -> bytes:
        buffer = io.BytesIO()
        qrcode.make(token).save(buffer)
        return buffer.getvalue()

    qr_rounds = max(3, args.rounds // 2)
    ours_png, default_png_rate = paired(
        lambda: qr_png(token), default_png, seconds=args.seconds * 2, rounds=qr_rounds
    )
    svg = max(rate(lambda: qr_svg(token), args.seconds) for _ in range(qr_rounds))

    print(f"token: {len(token)} characters")
    print()
    print(f"{'':34}{'ours':>12}{'baseline':>12}{'ratio':>8}   aim")
    print(
        f"{'mint /s (sign_credential)':34}{mint:>12,.0f}{raw_sign:>12,.0f}"
        f"{mint / raw_sign:>8.2f}   >= 0.5  (baseline: raw cryptography ES256 sign)"
    )
    print(
        f"{'verify /s (verify_credential)':34}{verify:>12,.0f}{raw_verify:>12,.0f}"
        f"{verify / raw_verify:>8.2f}   >= 0.5  (baseline: raw cryptography ES256 verify)"
    )
    print(
        f"{'mint /s through the keyring':34}{through_keyring:>12,.0f}{raw_sign_again:>12,.0f}"
        f"{through_keyring / raw_sign_again:>8.2f}   (current kid asked of SQLite once a second)"
    )
    print(
        f"{'QR PNG ms per image':34}{1000 / ours_png:>12.2f}{1000 / default_png_rate:>12.2f}"
        f"{ours_png / default_png_rate:>8.2f}   > 1    (baseline: qrcode.make + save; ratio = times faster)"
    )
    print(f"{'QR SVG ms per image':34}{1000 / svg:>12.2f}")
    ok = mint / raw_sign >= 0.5 and verify / raw_verify >= 0.5 and ours_png > default_png_rate
    print()
    print("all aims met" if ok else "AIM MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
