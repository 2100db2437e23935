"""Settings from the environment (prefix ``TOSHAV_``), checked before the service starts.

``Settings`` holds the kernel's and the card's. A domain with settings of its own subclasses it
(``parking.settings.ParkingSettings``) and names the class in its manifest; the composition root
makes the service's class from every domain's, and is the one place that reads the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, TypeVar

from fastapi import Depends, Request
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from kernel.limits.settings import LimitsSettings

# Development defaults. They let `make run` work on a bare machine; production refuses every one.
DEV_ID_HASH_KEY = "dev-only-id-hash-key-change-me"
DEV_DEMO_PASSWORD = "toshav-demo-2026"  # noqa: S105 - the documented demo password
DEV_CREDENTIAL_KEY = "dev-only-credential-key-change-me"
DEV_PUBLIC_URL = "http://127.0.0.1:8000"

Module = Literal["parking", "cashback"]
ALL_MODULES: tuple[Module, ...] = ("parking", "cashback")


class Settings(LimitsSettings):
    """What the kernel and the card read from the environment; each domain adds its own."""

    model_config = SettingsConfigDict(env_prefix="TOSHAV_", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///./var/toshav.db"
    var_dir: Path = Path("var")

    # The domains this deployment runs; the seed plan rolls the service out in stages.
    modules: list[Module] = Field(default_factory=lambda: list(ALL_MODULES))

    # Keyed hash of national ID numbers: the clear number is never stored.
    id_hash_key: SecretStr = SecretStr(DEV_ID_HASH_KEY)
    # PEM of the EC P-256 key that signs API access tokens. Never the key that signs QR credentials.
    # In development, when unset, a key is generated once under var/keys/.
    access_token_key: SecretStr | None = None

    issuer: str = "https://toshav.example.city"
    api_audience: str = "toshav-api"
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    refresh_token_ttl_seconds: int = Field(default=30 * 86_400, ge=300)
    # A refresh sent again with the same Idempotency-Key this soon after its answer was lost (a
    # phone that dropped off the network, a page left mid-call) gets a new pair instead of being
    # taken for a replay that signs the device out. 0: every second use is a replay.
    refresh_retry_seconds: int = Field(default=300, ge=0, le=3600)
    # How long a process trusts what it read of a signed-in user (active? which roles?) before
    # reading it again. Changes made in the same process apply at once; a user disabled by another
    # process keeps access here at most this long. 0: read it on every request.
    caller_cache_ttl_seconds: int = Field(default=5, ge=0, le=300)

    # Failed sign-ins count per username and client (docs/decisions/0013-limits-on-volume.md): a
    # client with ``login_max_failures`` failures for a username waits ``login_slowdown_seconds``
    # after its latest, twice as long after each further one, at most
    # ``login_slowdown_max_seconds``; a failure is forgotten ``login_failure_window_seconds`` after
    # it. Other clients, the username's owner among them, are not slowed.
    login_max_failures: int = Field(default=5, ge=1)
    login_failure_window_seconds: int = Field(default=3600, ge=1)
    login_slowdown_seconds: int = Field(default=30, ge=1)
    login_slowdown_max_seconds: int = Field(default=900, ge=1)
    password_min_length: int = Field(default=10, ge=8)
    # How long, in days, a failed sign-in (username and a digest of the client) and a refresh token
    # past its expiry are kept before the nightly job deletes them (``kernel.retention``).
    login_failure_retention_days: int = Field(default=30, ge=1, le=3650)
    refresh_token_retention_days: int = Field(default=30, ge=1, le=3650)

    # Seals (AES-GCM) the private keys that sign QR credentials; they are never stored in clear.
    credential_key: SecretStr = SecretStr(DEV_CREDENTIAL_KEY)
    # The card's rotating QR token: its audience, lifetime, and the clock leeway verifiers allow.
    card_audience: str = Field(default="card", min_length=1, max_length=40)
    card_token_ttl_seconds: int = Field(default=120, ge=15, le=3600)
    credential_leeway_seconds: int = Field(default=30, ge=0, le=300)
    card_validity_years: int = Field(default=5, ge=1, le=20)
    # How long verifiers may cache /.well-known/jwks.json; a rotated key is published this long
    # before it signs, so no cached copy meets a token signed by a key it has not seen.
    jwks_max_age_seconds: int = Field(default=300, ge=0, le=86_400)

    city_time_zone: str = "Asia/Jerusalem"
    # Where people reach the service's pages: links in emails (a password reset, a new address to
    # confirm) point here. Production refuses the development default.
    public_url: str = Field(default=DEV_PUBLIC_URL, pattern=r"^https?://[^\s/]+(/[^\s]*)?$")

    demo_password: SecretStr = SecretStr(DEV_DEMO_PASSWORD)
    # The API reference (/docs, /redoc, /openapi.json): always served in development, and in
    # production only when this says so.
    public_docs: bool = False

    # The bearer token Prometheus sends to read /metrics. Unset: only callers on this machine may
    # read it, and none in production (kernel/metrics.py).
    metrics_token: SecretStr | None = None

    # The worker (``toshav worker``): how often it looks for what is due, and how long a running
    # job's claim holds without word from its worker. A worker renews the claim while the job runs,
    # so only a worker that died lets it lapse, and the run is then taken again.
    worker_tick_seconds: float = Field(default=5.0, gt=0, le=3600)
    worker_lease_seconds: int = Field(default=120, ge=5, le=86_400)

    # What the public pages name (/privacy, /accessibility): whom a person writes to about their
    # data, and the city's accessibility coordinator.
    privacy_contact_email: str = Field(default="privacy@toshav.example.city", max_length=254)
    accessibility_coordinator_name: str = Field(
        default="The city's accessibility coordinator", max_length=200
    )
    accessibility_coordinator_phone: str = Field(default="106", max_length=40)
    accessibility_coordinator_email: str = Field(
        default="accessibility@toshav.example.city", max_length=254
    )
    # Where the source of the running version is published (AGPL-3.0 section 13); unset, /source
    # answers a tarball of the code this process runs.
    source_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def serves_docs(self) -> bool:
        """Whether the API reference is served: in development, or where production opens it."""
        return not self.is_production or self.public_docs

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def production_problems(self) -> list[str]:
        """Name each secret that is missing or still at its development default."""
        problems: list[str] = []
        if self.id_hash_key.get_secret_value() in ("", DEV_ID_HASH_KEY):
            problems.append("TOSHAV_ID_HASH_KEY is missing or at its development default")
        elif len(self.id_hash_key.get_secret_value()) < 32:
            problems.append("TOSHAV_ID_HASH_KEY is shorter than 32 characters")
        if self.access_token_key is None or not self.access_token_key.get_secret_value().strip():
            problems.append("TOSHAV_ACCESS_TOKEN_KEY is missing (a PEM EC P-256 private key)")
        if self.credential_key.get_secret_value() in ("", DEV_CREDENTIAL_KEY):
            problems.append("TOSHAV_CREDENTIAL_KEY is missing or at its development default")
        elif len(self.credential_key.get_secret_value()) < 32:
            problems.append("TOSHAV_CREDENTIAL_KEY is shorter than 32 characters")
        if self.database_url == Settings.model_fields["database_url"].default:
            problems.append("TOSHAV_DATABASE_URL is at its development default (embedded SQLite)")
        if self.public_url == DEV_PUBLIC_URL:
            problems.append("TOSHAV_PUBLIC_URL is at its development default (links in emails)")
        return problems


class InsecureSettingsError(RuntimeError):
    """Production was asked for with a default or missing secret."""


def check_settings(settings: Settings) -> None:
    """Refuse to run in production with a default or missing secret, saying which."""
    if settings.is_production:
        problems = settings.production_problems()
        if problems:
            raise InsecureSettingsError(
                "Refusing to start in production: " + "; ".join(problems) + "."
            )


DomainSettings = TypeVar("DomainSettings", bound=Settings)


def settings_as(settings: Settings, kind: type[DomainSettings]) -> DomainSettings:
    """The service's settings as one domain reads them. The root's class has every domain's
    fields, so anything else is a programming error (settings made without the root)."""
    if not isinstance(settings, kind):
        raise TypeError(
            f"{type(settings).__name__} has no {kind.__name__} fields: the service's settings "
            "are made by the composition root"
        )
    return settings


async def app_settings(request: Request) -> Settings:
    """The settings the running app was made with (async: it only reads memory, so no thread)."""
    settings: Settings = request.app.state.runtime.settings
    return settings


AppSettings = Annotated[Settings, Depends(app_settings)]
