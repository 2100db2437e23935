"""The keys that sign QR credentials: public half in clear, private half sealed, and their lifetimes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from kernel.database import Base, RecordMixin


class SigningKey(RecordMixin, Base):
    """One ES256 key. Published from creation until retired; signs from ``activates_at`` while newest."""

    __tablename__ = "signing_keys"
    __table_args__ = (
        Index("ix_signing_keys_retired_at_activates_at", "retired_at", "activates_at"),
    )

    kid: Mapped[str] = mapped_column(String(16), unique=True)
    # The public point (base64url of 32 bytes each), as published in the JWKS.
    public_x: Mapped[str] = mapped_column(String(43))
    public_y: Mapped[str] = mapped_column(String(43))
    # AES-256-GCM under a key derived from TOSHAV_CREDENTIAL_KEY; never in clear.
    private_key_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    activates_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
