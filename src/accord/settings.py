"""One Settings object, read from ACCORD_* environment variables and an optional TOML file."""

from __future__ import annotations

import os
from ipaddress import ip_address
from pathlib import Path
from typing import Annotated, Any, Literal

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = ["Settings", "default_data_dir", "load_settings"]

CONFIG_FILE_ENV = "ACCORD_CONFIG_FILE"


def default_data_dir() -> Path:
    """Where the database file, keys and uploads live unless ACCORD_DATA_DIR says otherwise."""
    return Path(user_data_dir("accord", appauthor=False))


class Settings(BaseSettings):
    """Every setting, declared once with its default and help; served to the CLI and the docs."""

    model_config = SettingsConfigDict(
        env_prefix="ACCORD_", extra="forbid", validate_default=True, frozen=True
    )

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Folder for the SQLite database, signing keys and uploads.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; empty means an SQLite file `accord.db` in the data folder. "
        "PostgreSQL: postgresql+psycopg://user@host/db.",
    )
    host: str = Field(default="127.0.0.1", description="Address `accord serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `accord serve` uses.")
    public_url: str | None = Field(
        default=None,
        description="URL people reach Accord at (links in invitations); default from host/port.",
    )
    cookie_secure: bool | None = Field(
        default=None,
        description="Secure, __Host- prefixed cookies. Empty: on, except plain HTTP on loopback.",
    )
    audit_key_path: Path | None = Field(
        default=None,
        description="Ed25519 key that signs audit tree heads; kept outside the database. "
        "Empty: keys/audit-ed25519.pem in the data folder.",
    )
    field_key_path: Path | None = Field(
        default=None,
        description="Key that encrypts MFA secrets at rest. Empty: keys/fields.key in the data "
        "folder.",
    )
    session_idle_minutes: int = Field(
        default=30, ge=1, description="A session with no request for this long ends."
    )
    session_absolute_hours: int = Field(
        default=12, ge=1, description="A session ends this long after sign-in, whatever its use."
    )
    lockout_attempts: int = Field(
        default=5, ge=1, description="Failed sign-ins within the window that lock an account."
    )
    lockout_window_minutes: int = Field(
        default=15, ge=1, description="Window in which failed sign-ins are counted."
    )
    lockout_release_minutes: int | None = Field(
        default=None,
        ge=1,
        description="Release a lock by itself after this long; empty: only an admin releases it.",
    )
    password_min_length: int = Field(
        default=12, ge=8, description="Shortest password accepted (CJIS asks for at least 8)."
    )
    password_max_length: int = Field(
        default=1024, ge=64, description="Longest password accepted; passphrases pass unchanged."
    )
    breached_passwords_file: Path | None = Field(
        default=None,
        description="Extra list of breached passwords, one a line, checked besides the built-in "
        "list.",
    )
    mfa_required_roles: Annotated[tuple[str, ...], NoDecode] = Field(
        default=("platform_admin",),
        description="Roles that must use TOTP; accounts cleared for CJI always must.",
    )
    sign_in_notice: str = Field(
        default=(
            "This system is for authorized use by members of vetted partner organizations. "
            "Use is recorded in a tamper-evident audit log; information is shared only under "
            "the agreements in force. Unauthorized use is prohibited."
        ),
        max_length=2000,
        description="System-use notice shown before sign-in (CJIS Security Policy §5.5.4).",
    )
    invitation_valid_hours: int = Field(
        default=72, ge=1, description="How long an invitation link can be used."
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body accepted."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Lowest level written to the JSON log."
    )
    tile_url: str | None = Field(
        default=None,
        description="Base-map tile URL template; empty draws the offline basemap.",
    )
    bus_url: str | None = Field(
        default=None,
        pattern=r"^nats://",
        description="NATS server for live events between API nodes; unset: in-process.",
    )
    demo_password: SecretStr = Field(
        default=SecretStr("port-city-demo-2026"),
        description="Password of every account in the demo world.",
    )

    @field_validator("mfa_required_roles", mode="before")
    @classmethod
    def _split_roles(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get(CONFIG_FILE_ENV)
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'accord.db'}"

    @property
    def effective_audit_key_path(self) -> Path:
        return self.audit_key_path or self.data_dir / "keys" / "audit-ed25519.pem"

    @property
    def effective_field_key_path(self) -> Path:
        return self.field_key_path or self.data_dir / "keys" / "fields.key"

    @property
    def effective_public_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def secure_cookies(self) -> bool:
        """Secure cookies unless explicitly off, or serving plain HTTP on a loopback address."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        url = self.effective_public_url
        if url.startswith("https://"):
            return True
        return not _is_loopback(self.host)

    def shown(self) -> dict[str, Any]:
        """Effective settings for display, secrets masked."""
        values: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "**********" if value.get_secret_value() else ""
            elif isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            values[name] = value
        values["database_url"] = _mask_url(self.effective_database_url)
        return values


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _mask_url(url: str) -> str:
    """Hide a password inside a database URL."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    user, has_password, _ = creds.partition(":")
    return f"{scheme}://{user}{':**********' if has_password else ''}@{host}"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and the TOML file, with explicit overrides on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
