"""The one sign/verify pair: every rejection has its reason, and only a JWKS is needed to verify."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from joserfc import jwt as joserfc_jwt

from resident_card.credentials.jws import (
    CheckedSignatures,
    CredentialSigner,
    Rejection,
    RejectionReason,
    VerifiedClaims,
    b64url,
    b64url_decode,
    sign_credential,
    verify_credential,
)
from resident_card.credentials.keys import (
    KeyUnsealFailed,
    generate_private_key,
    new_kid,
    public_coordinates,
    public_jwk,
    seal_private_key,
    unseal_private_key,
)
from tests.resident_card.credentials_support import key_set

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ISSUER = "https://toshav.example.city"


def _signer() -> CredentialSigner:
    return CredentialSigner(kid=new_kid(), private_key=generate_private_key(), issuer=ISSUER)


def _jwks(*signers: CredentialSigner) -> dict[str, Any]:
    keys = []
    for signer in signers:
        x, y = public_coordinates(signer.private_key.public_key())
        keys.append(public_jwk(signer.kid, x, y))
    return {"keys": keys}


def _token(signer: CredentialSigner, **overrides: Any) -> str:
    values: dict[str, Any] = {
        "claims": {"sub": "AbCdEfGhIjKl"},
        "audience": "card",
        "now": NOW,
        "ttl": timedelta(seconds=120),
    }
    values.update(overrides)
    return sign_credential(signer, **values)


def _reason(token: str, jwks: dict[str, Any], **overrides: Any) -> RejectionReason | None:
    values: dict[str, Any] = {"audience": "card", "now": NOW}
    values.update(overrides)
    result = verify_credential(token, jwks, **values)
    return result.reason if isinstance(result, Rejection) else None


def _segments(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload)), signature


def test_a_signed_token_verifies_with_the_claims_we_put_in() -> None:
    signer = _signer()
    token = _token(signer, claims={"sub": "AbCdEfGhIjKl", "z": "H1"})
    result = verify_credential(token, _jwks(signer), audience="card", now=NOW)
    assert isinstance(result, VerifiedClaims)
    assert result.subject == "AbCdEfGhIjKl"
    assert result.kid == signer.kid
    assert result.issuer == ISSUER
    assert result.expires_at == NOW + timedelta(seconds=120)
    assert result.issued_at == NOW
    assert result.claims["z"] == "H1"
    assert result.jti is not None
    assert len(result.jti) == 12


def test_header_and_claims_are_minimal() -> None:
    signer = _signer()
    header, claims, signature = _segments(_token(signer))
    assert header == {"alg": "ES256", "kid": signer.kid}
    assert set(claims) == {"iss", "aud", "sub", "iat", "exp", "jti"}
    assert claims["exp"] - claims["iat"] == 120
    assert len(b64url_decode(signature)) == 64  # raw r||s, as JWS wants, not DER


def test_a_card_token_stays_short_for_the_qr() -> None:
    signer = _signer()
    token = _token(signer)
    # A typical ES256 JWT is ~360 characters; ours is under 300 with the default issuer.
    assert len(token) <= 300, len(token)


def test_an_independent_library_verifies_our_token() -> None:
    signer = _signer()
    token = _token(signer)
    decoded = joserfc_jwt.decode(token, key_set(_jwks(signer)), algorithms=["ES256"])
    assert decoded.header == {"alg": "ES256", "kid": signer.kid}
    assert decoded.claims["sub"] == "AbCdEfGhIjKl"
    assert decoded.claims["aud"] == "card"


def test_a_token_signed_by_an_independent_library_verifies_here() -> None:
    signer = _signer()
    jwks = _jwks(signer)
    private = signer.private_key.private_numbers()
    jwk = dict(jwks["keys"][0], d=b64url(private.private_value.to_bytes(32, "big")))
    claims = {
        "iss": ISSUER,
        "aud": "card",
        "sub": "ref",
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 60,
    }
    token = joserfc_jwt.encode(
        {"alg": "ES256", "kid": signer.kid}, claims, key_set({"keys": [jwk]})
    )
    assert isinstance(verify_credential(token, jwks, audience="card", now=NOW), VerifiedClaims)


def test_every_tampered_character_is_rejected() -> None:
    signer = _signer()
    jwks = _jwks(signer)
    token = _token(signer)
    for position, char in enumerate(token):
        if char == ".":
            continue
        replacement = "A" if char != "A" else "B"
        tampered = token[:position] + replacement + token[position + 1 :]
        assert _reason(tampered, jwks) in (
            RejectionReason.bad_signature,
            RejectionReason.malformed,
            RejectionReason.unknown_kid,
        ), position


def test_a_tampered_payload_byte_is_a_bad_signature() -> None:
    signer = _signer()
    header, claims, signature = _token(signer).split(".")
    raw = bytearray(b64url_decode(claims))
    raw[raw.index(b"AbCd")] = ord("X")
    assert _reason(f"{header}.{b64url(bytes(raw))}.{signature}", _jwks(signer)) == (
        RejectionReason.bad_signature
    )


def test_a_second_spelling_of_the_signature_is_refused() -> None:
    # base64url of 64 bytes leaves 2 unused bits in the last character; they must be zero.
    signer = _signer()
    token = _token(signer)
    last = token[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    sibling = alphabet[alphabet.index(last) ^ 1]
    assert _reason(token[:-1] + sibling, _jwks(signer)) == RejectionReason.malformed


def test_unknown_kid() -> None:
    signer, stranger = _signer(), _signer()
    assert _reason(_token(stranger), _jwks(signer)) == RejectionReason.unknown_kid
    assert _reason(_token(signer), {"keys": []}) == RejectionReason.unknown_kid
    assert _reason(_token(signer), {}) == RejectionReason.unknown_kid


def test_another_key_under_a_known_kid_is_a_bad_signature() -> None:
    signer = _signer()
    impostor = CredentialSigner(kid=signer.kid, private_key=generate_private_key(), issuer=ISSUER)
    assert _reason(_token(impostor), _jwks(signer)) == RejectionReason.bad_signature


def test_expired_and_not_yet_valid_with_the_leeway() -> None:
    signer = _signer()
    jwks = _jwks(signer)
    token = _token(signer)  # iat = NOW, exp = NOW + 120 s
    assert _reason(token, jwks, now=NOW + timedelta(seconds=149)) is None  # 30 s leeway
    assert _reason(token, jwks, now=NOW + timedelta(seconds=150)) == RejectionReason.expired
    assert _reason(token, jwks, now=NOW - timedelta(seconds=30)) is None
    assert _reason(token, jwks, now=NOW - timedelta(seconds=31)) == RejectionReason.not_yet_valid
    assert _reason(token, jwks, now=NOW + timedelta(seconds=121), leeway=0) == (
        RejectionReason.expired
    )
    assert _reason(token, jwks, now=NOW + timedelta(seconds=500), leeway=400) is None


def test_wrong_audience() -> None:
    signer = _signer()
    jwks = _jwks(signer)
    assert _reason(_token(signer, audience="parking"), jwks) == RejectionReason.wrong_audience
    assert _reason(_token(signer), jwks, audience="parking") == RejectionReason.wrong_audience


def test_a_token_checked_before_is_still_judged_on_everything_but_its_signature() -> None:
    signer = _signer()
    jwks = _jwks(signer)
    token = _token(signer)  # exp = NOW + 120 s
    checked = CheckedSignatures()
    assert _reason(token, jwks, checked=checked) is None
    assert len(checked) == 1
    # Time and audience are judged again on every use, remembered or not.
    assert _reason(token, jwks, checked=checked, now=NOW + timedelta(minutes=3)) == (
        RejectionReason.expired
    )
    assert _reason(token, jwks, checked=checked, audience="parking") == (
        RejectionReason.wrong_audience
    )
    # Any other characters are another token, with a signature of their own to check.
    header, payload, signature = token.split(".")
    tampered = (
        f"{header}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"
    )
    assert _reason(tampered, jwks, checked=checked) in (
        RejectionReason.bad_signature,
        RejectionReason.malformed,
    )
    assert len(checked) == 1


def test_what_was_checked_belongs_to_one_key_set() -> None:
    signer = _signer()
    token = _token(signer)
    checked = CheckedSignatures()
    assert _reason(token, _jwks(signer), checked=checked) is None
    # The key retired: its tokens are unknown, remembered or not.
    assert _reason(token, {"keys": []}, checked=checked) == RejectionReason.unknown_kid
    # Another key published under the same kid: nothing remembered from before counts.
    impostor = CredentialSigner(kid=signer.kid, private_key=generate_private_key(), issuer=ISSUER)
    assert _reason(token, _jwks(impostor), checked=checked) == RejectionReason.bad_signature
    assert len(checked) == 0
    # An equal key set read again (the same keys, a new dict) keeps what was checked.
    assert _reason(token, _jwks(signer), checked=checked) is None
    assert len(checked) == 1
    assert _reason(token, _jwks(signer), checked=checked) is None
    assert len(checked) == 1


def test_checked_signatures_keep_at_most_their_size() -> None:
    signer = _signer()
    jwks = _jwks(signer)
    checked = CheckedSignatures(max_size=3)
    tokens = [_token(signer, claims={"sub": f"pass{i}"}) for i in range(5)]
    for token in tokens:
        assert _reason(token, jwks, checked=checked) is None
    assert len(checked) == 3
    assert checked.claims(tokens[0], jwks) is None  # the oldest forgotten first
    assert checked.claims(tokens[-1], jwks) == {**_segments(tokens[-1])[1]}


def test_a_token_vouched_for_is_taken_on_its_issuer_s_word_and_judged_for_the_rest() -> None:
    signer = _signer()
    jwks = _jwks(signer)
    issued = _token(signer)
    checked = CheckedSignatures()
    checked.vouch([issued])
    assert checked.vouched(issued)
    # Vouching stands for the signature check, and only for the very characters vouched for: the
    # same token with its signature spoilt verifies once vouched for (the issuer stored what it
    # signed), and is refused as soon as it is not.
    header, payload, _ = issued.split(".")
    spoilt = f"{header}.{payload}.{b64url(bytes(64))}"
    assert _reason(spoilt, jwks, checked=checked) == RejectionReason.bad_signature
    checked.vouch([spoilt])
    assert _reason(spoilt, jwks, checked=CheckedSignatures()) == RejectionReason.bad_signature
    assert _reason(spoilt, jwks, checked=checked) is None
    # Everything else is judged as ever: the kid must be published, the time and audience right.
    assert _reason(issued, {"keys": []}, checked=checked) == RejectionReason.unknown_kid
    assert _reason(issued, jwks, checked=checked, now=NOW + timedelta(minutes=3)) == (
        RejectionReason.expired
    )
    assert _reason(issued, jwks, checked=checked, audience="parking") == (
        RejectionReason.wrong_audience
    )
    assert _reason(issued, jwks, checked=checked) is None
    # Vouching afresh forgets those vouched for before.
    checked.vouch([_token(signer, claims={"sub": "another"})], afresh=True)
    assert not checked.vouched(issued)
    assert not checked.vouched(spoilt)


def _forge(header: dict[str, Any], claims: dict[str, Any], signature: bytes) -> str:
    def encode(value: dict[str, Any]) -> str:
        return b64url(json.dumps(value).encode())

    return f"{encode(header)}.{encode(claims)}.{b64url(signature)}"


def test_an_algorithm_swap_is_refused() -> None:
    signer = _signer()
    jwks = _jwks(signer)
    header, claims, signature = _segments(_token(signer))
    # alg "none", with or without a signature.
    assert _reason(_forge({**header, "alg": "none"}, claims, b""), jwks) == (
        RejectionReason.bad_signature
    )
    # HS256 keyed with the public key: the classic confusion attack.
    hs_header = b64url(json.dumps({**header, "alg": "HS256"}).encode())
    body = b64url(json.dumps(claims).encode())
    secret = json.dumps(jwks["keys"][0]).encode()
    mac = hmac.new(secret, f"{hs_header}.{body}".encode(), hashlib.sha256).digest()
    assert _reason(f"{hs_header}.{body}.{b64url(mac)}", jwks) == RejectionReason.bad_signature
    # ES384 named, ES256 signature kept.
    assert _reason(_forge({**header, "alg": "ES384"}, claims, b64url_decode(signature)), jwks) == (
        RejectionReason.bad_signature
    )


def test_a_jwk_for_another_algorithm_is_not_used() -> None:
    signer = _signer()
    jwks = _jwks(signer)
    jwks["keys"][0]["alg"] = "ES384"
    assert _reason(_token(signer), jwks) == RejectionReason.unknown_kid


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "!!!.???.***",
        "e30.e30.",  # {} header: no kid
        b64url(b'{"alg":"ES256","kid":"k","crit":["exp"]}') + ".e30.AA",
        b64url(b"[1,2]") + ".e30.AA",
        "x" * 5000,
    ],
)
def test_malformed_tokens(token: str) -> None:
    assert _reason(token, _jwks(_signer())) == RejectionReason.malformed


def test_signed_but_malformed_claims() -> None:
    signer = _signer()
    jwks = _jwks(signer)
    header = {"alg": "ES256", "kid": signer.kid}
    base = {"iss": ISSUER, "aud": "card", "sub": "r", "iat": int(NOW.timestamp())}
    for claims in (
        {**base},  # no exp
        {**base, "exp": "soon"},
        {**base, "exp": True},
        {**base, "exp": int(NOW.timestamp()) + 60, "sub": 7},
        {**base, "exp": int(NOW.timestamp()) + 60, "aud": []},
    ):
        signing_input = (
            b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        )
        der = signer.private_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        token = signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
        assert _reason(token, jwks) == RejectionReason.malformed, claims


def test_sign_credential_refuses_what_it_sets_itself() -> None:
    signer = _signer()
    with pytest.raises(ValueError, match="sub"):
        sign_credential(signer, {}, audience="card", now=NOW, ttl=timedelta(seconds=60))
    with pytest.raises(ValueError, match="set by sign_credential"):
        sign_credential(
            signer, {"sub": "r", "aud": "x"}, audience="card", now=NOW, ttl=timedelta(seconds=60)
        )
    with pytest.raises(ValueError, match="exactly one"):
        sign_credential(signer, {"sub": "r"}, audience="card", now=NOW)
    with pytest.raises(ValueError, match="expire after"):
        sign_credential(signer, {"sub": "r"}, audience="card", now=NOW, expires_at=NOW)


def test_a_parking_pass_shape_with_an_expiry_date() -> None:
    signer = _signer()
    until = NOW + timedelta(days=180)
    token = sign_credential(
        signer,
        {"sub": "pass-ref", "pl": "1234567", "zn": "H1"},
        audience="parking",
        now=NOW,
        expires_at=until,
    )
    result = verify_credential(
        token, _jwks(signer), audience="parking", now=NOW + timedelta(days=90)
    )
    assert isinstance(result, VerifiedClaims)
    assert result.expires_at == until
    assert result.claims["pl"] == "1234567"


def test_the_signer_never_shows_its_key() -> None:
    signer = _signer()
    assert repr(signer) == f"CredentialSigner(kid={signer.kid!r}, issuer={ISSUER!r})"


def test_sealed_keys_open_only_with_their_secret_and_kid() -> None:
    key = generate_private_key()
    sealed = seal_private_key(key, kid="kid-1", secret="s" * 40)
    opened = unseal_private_key(sealed, kid="kid-1", secret="s" * 40)
    assert opened.private_numbers() == key.private_numbers()
    der_marker = b"\x30\x81"  # a PKCS#8 DER would start like this; the sealed bytes must not
    assert not sealed[13:].startswith(der_marker)
    with pytest.raises(KeyUnsealFailed):
        unseal_private_key(sealed, kid="kid-1", secret="t" * 40)
    with pytest.raises(KeyUnsealFailed):
        unseal_private_key(sealed, kid="kid-2", secret="s" * 40)
    with pytest.raises(KeyUnsealFailed):
        unseal_private_key(sealed[:-1] + bytes([sealed[-1] ^ 1]), kid="kid-1", secret="s" * 40)


@hypothesis_settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=80))
def test_base64url_round_trips_and_has_one_spelling(data: bytes) -> None:
    text = b64url(data)
    assert b64url_decode(text) == data
    assert "=" not in text
    padded = base64.urlsafe_b64encode(data).decode()
    if padded != text:
        with pytest.raises(ValueError, match="base64url"):
            b64url_decode(padded)


@hypothesis_settings(max_examples=60, deadline=None)
@given(garbage=st.text(max_size=400))
def test_verification_never_raises(garbage: str) -> None:
    result = verify_credential(garbage, {"keys": []}, audience="card", now=NOW)
    assert isinstance(result, Rejection)


def test_a_new_kid_can_be_typed_on_the_command_line() -> None:
    # One random base64url kid in 32 starts with "-", which `toshav keys retire KID` took for an
    # option; 2,000 draws meet such a kid with near certainty if generation allowed it.
    kids = {new_kid() for _ in range(2000)}
    assert len(kids) == 2000
    assert all(kid[0].isalnum() and len(kid) == 8 for kid in kids)
