"""The settings table: every setting relance reads, with its default and one line of help.

One typed object (`Settings`) is built once in `main()` from `relance.toml` plus environment
overrides (see `daemon.config.loading`). Nothing here reads the environment or the disk.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.config import JsonDict

from daemon.codes import parse_uai

SECRET: JsonDict = {"secret": True}


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def _email_or_empty(value: str) -> str:
    value = value.strip()
    if value and ("@" not in value or value.startswith("@") or value.endswith("@")):
        raise ValueError(f"adresse e-mail invalide : {value!r}")
    return value


class CampaignSettings(Section):
    """The campaign followed: one school year, its dates and calendar."""

    name: str = Field("2026-2027", description="Name of the campaign (the school year it follows).")
    start: dt.date = Field(
        dt.date(2026, 9, 1), description="First day of the campaign (the rentrée): reminders start."
    )
    observation_date: dt.date = Field(
        dt.date(2026, 9, 18), description="Date of the constat des effectifs (observation date)."
    )
    deadline: dt.date = Field(
        dt.date(2026, 10, 2), description="Last day to validate the constat; later is overdue."
    )
    timezone: str = Field("Europe/Paris", description="Time zone of every date and sending window.")
    holiday_zone: Literal["A", "B", "C"] = Field(
        "B", description="School-holiday zone of the académie (Nantes, Rennes: B)."
    )
    extra_days_off: list[dt.date] = Field(
        default_factory=list, description="Extra days without reminders (pont, local holiday)."
    )
    validation_requires_confirmation: bool = Field(
        False, description="A director's 'constat validé' counts only once a coordinator confirms."
    )
    retention_days: int = Field(
        120, ge=1, description="Days after the deadline before dropped files and pupils are purged."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"fuseau horaire inconnu : {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _ordered(self) -> CampaignSettings:
        if not self.start <= self.observation_date <= self.deadline:
            raise ValueError("il faut start <= observation_date <= deadline")
        return self


class LadderStep(Section):
    """One step of an escalation ladder."""

    after: int = Field(..., ge=1, description="Reminders without progress before this step.")
    notify: Literal["coordinator", "support"] = Field(..., description="Who is told.")


def _ladder(coordinator_after: int, support_after: int) -> list[LadderStep]:
    return [
        LadderStep(after=coordinator_after, notify="coordinator"),
        LadderStep(after=support_after, notify="support"),
    ]


class StagePolicy(Section):
    """When a stage's reminders start, how often they come, and when to escalate."""

    first_after_days: int = Field(0, ge=0, description="School days after the stage starts.")
    interval_days: int = Field(3, ge=1, description="School days between two reminders.")
    ladder: list[LadderStep] = Field(
        default_factory=lambda: _ladder(3, 5),
        description="Escalation ladder: after N reminders without progress, who is told.",
    )


class ReadyPolicy(StagePolicy):
    """The 'ready to validate' stage: reminders come more often near the deadline."""

    near_deadline_days: int = Field(
        3, ge=0, description="School days before the deadline when reminders come more often."
    )
    near_deadline_interval_days: int = Field(
        1, ge=1, description="Interval (school days) once the deadline is near."
    )


class ReminderSettings(Section):
    """Sending window and the cadence of each stage's reminders (school days)."""

    window_start: dt.time = Field(dt.time(8, 0), description="Reminders are sent from this time.")
    window_end: dt.time = Field(dt.time(18, 0), description="... and not after this time.")
    digest_time: dt.time = Field(
        dt.time(7, 30), description="Time of the coordinators' daily digest (school days)."
    )
    tick_seconds: int = Field(60, ge=5, description="Seconds between two scheduler ticks.")
    max_snooze_days: int = Field(
        10, ge=1, description="Longest 'relancez-moi le …' a director may ask for, in days."
    )
    awaiting_export: StagePolicy = Field(
        default_factory=lambda: StagePolicy(first_after_days=2, interval_days=3),
        description="No export archive yet (counted from the campaign's start).",
    )
    exported: StagePolicy = Field(
        default_factory=lambda: StagePolicy(first_after_days=2, interval_days=2),
        description="Exported, but no compte rendu dropped N school days later.",
    )
    errors: StagePolicy = Field(
        default_factory=lambda: StagePolicy(first_after_days=0, interval_days=2),
        description="The latest compte rendu has open rejections or warnings.",
    )
    awaiting_ine: StagePolicy = Field(
        default_factory=lambda: StagePolicy(first_after_days=2, interval_days=3),
        description="No open rejection, but pupils still have no INE.",
    )
    ready_to_validate: ReadyPolicy = Field(
        default_factory=lambda: ReadyPolicy(first_after_days=0, interval_days=3),
        description="Everything integrated: validate the constat (from the observation date).",
    )
    overdue: StagePolicy = Field(
        default_factory=lambda: StagePolicy(
            first_after_days=0, interval_days=1, ladder=_ladder(1, 3)
        ),
        description="The deadline has passed and the constat is not validated.",
    )


class ContactSettings(Section):
    """Who signs the mails and where problems are routed, by category."""

    coordinator_name: str = Field(
        "Coordination du constat", description="Who signs the mails (the district office)."
    )
    coordinator_email: str = Field(
        "", description="Reply-to address of every reminder (the coordinator's mailbox)."
    )
    coordinators: list[str] = Field(
        default_factory=list, description="Addresses that receive the daily digest."
    )
    export_support_email: str = Field(
        "", description="Support for export / Ange / school-software problems."
    )
    onde_support_email: str = Field(
        "", description="Académie assistance for ONDE access (OTP key, 'Accès directeur')."
    )
    other_support_email: str = Field(
        "", description="Contact for any other problem (empty: the coordinator)."
    )
    onde_url: str = Field(
        "", description="ONDE portal address given to directors (your académie's; empty: none)."
    )

    @field_validator(
        "coordinator_email", "export_support_email", "onde_support_email", "other_support_email"
    )
    @classmethod
    def _address(cls, value: str) -> str:
        return _email_or_empty(value)

    @field_validator("coordinators")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        return [_email_or_empty(v) for v in value if v.strip()]


class SmtpSettings(Section):
    """The SMTP server mails go through."""

    host: str = Field("127.0.0.1", description="SMTP server host.")
    port: int = Field(8025, ge=1, le=65535, description="SMTP server port.")
    security: Literal["none", "starttls", "tls"] = Field(
        "none", description="Transport security: none, starttls or tls (implicit)."
    )
    username: str = Field("", description="SMTP login (empty: no authentication).")
    password: str = Field("", description="SMTP password.", json_schema_extra=SECRET)
    from_address: str = Field("relance@localhost", description="Sender address of every mail.")
    from_name: str = Field("Relance constat de rentrée", description="Sender display name.")
    timeout_seconds: float = Field(30.0, gt=0, description="Timeout of one SMTP exchange.")
    concurrency: int = Field(4, ge=1, le=64, description="Mails sent at the same time.")
    rate_per_minute: int = Field(120, ge=1, description="Most mails sent per minute.")
    retry_base_seconds: int = Field(60, ge=1, description="First retry delay after a 4xx.")
    retry_max_seconds: int = Field(3600, ge=1, description="Longest retry delay (backoff cap).")
    lease_seconds: int = Field(300, ge=10, description="How long a claimed mail stays reserved.")
    list_id: str = Field(
        "relance.constat.local", description="List-Id header of the mails (for mail filters)."
    )


class IntakeSettings(Section):
    """The drop folder where comptes rendus, extractions and archives arrive."""

    drop_dir: str = Field("", description="Drop folder (empty: <state_dir>/drop).")
    stable_seconds: float = Field(
        2.0, ge=0, description="A file is taken once unchanged for this long."
    )
    max_file_mb: int = Field(50, ge=1, description="Larger files are refused before reading.")
    max_pdf_pages: int = Field(200, ge=1, description="Compte-rendu PDFs with more pages refused.")
    labels_file: str = Field(
        "", description="TOML file overriding the compte-rendu labels (empty: packaged ones)."
    )


class ExportSettings(Section):
    """Limits on export archives (<UAI>.zip), checked before reading."""

    max_members: int = Field(20, ge=1, description="Most members accepted in an archive.")
    max_total_mb: int = Field(100, ge=1, description="Most bytes an archive may expand to (MB).")
    max_ratio: int = Field(100, ge=1, description="Largest compression ratio of one member.")
    aliases_file: str = Field(
        "", description="TOML file overriding the column aliases (empty: packaged ones)."
    )


class WebSettings(Section):
    """The web server: status pages, director pages, JSON API."""

    host: str = Field("127.0.0.1", description="Address the web server listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port of the web server.")
    base_url: str = Field(
        "http://127.0.0.1:8000", description="Public address used in the links of the mails."
    )
    secret_key: str = Field(
        "",
        description="Key signing links and sessions (empty: generated in the state dir).",
        json_schema_extra=SECRET,
    )
    link_ttl_days: int = Field(45, ge=1, description="Days a director's link stays valid.")
    session_hours: int = Field(12, ge=1, description="Hours a coordinator session lasts.")
    cookie_secure: bool | None = Field(
        None, description="Secure cookies (empty: on when base_url is https)."
    )
    max_upload_mb: int = Field(20, ge=1, description="Largest file accepted on the pages.")
    demo_mail_dir: str = Field(
        "", description="Mail catcher folder listed on /demo/mails (demo only; empty: no page)."
    )
    login_attempts_per_minute: int = Field(
        5, ge=1, description="Failed logins allowed per minute and address."
    )
    api_token: str = Field(
        "", description="Token of the JSON API and export endpoint.", json_schema_extra=SECRET
    )
    school_tokens: dict[str, str] = Field(
        default_factory=dict,
        description="Per-school tokens for the export endpoint (UAI = token).",
        json_schema_extra=SECRET,
    )

    @field_validator("school_tokens")
    @classmethod
    def _school_uais(cls, value: dict[str, str]) -> dict[str, str]:
        # a wrong UAI raises InvalidUAI (a ValueError) naming the expected letter
        return {parse_uai(uai): token for uai, token in value.items()}


class Settings(Section):
    """All of relance's settings."""

    database_url: str = Field(
        "", description="SQLAlchemy URL (empty: SQLite file in state_dir; or postgresql://…)."
    )
    state_dir: str = Field("state", description="Folder for the database, files and keys.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level."
    )
    log_format: Literal["text", "json"] = Field("text", description="Log lines as text or JSON.")
    templates_dir: str = Field(
        "", description="Folder of the mail and page templates (empty: the packaged ones)."
    )
    campaign: CampaignSettings = Field(
        default_factory=CampaignSettings,
        description="The campaign followed: one school year, its dates and calendar.",
    )
    reminders: ReminderSettings = Field(
        default_factory=ReminderSettings,
        description="Sending window and each stage's cadence, in school days.",
    )
    contacts: ContactSettings = Field(
        default_factory=ContactSettings,
        description="Who signs the mails and where problems are routed, by category.",
    )
    smtp: SmtpSettings = Field(
        default_factory=SmtpSettings, description="The SMTP server mails go through."
    )
    intake: IntakeSettings = Field(
        default_factory=IntakeSettings,
        description="The drop folder for comptes rendus, extractions and archives.",
    )
    exports: ExportSettings = Field(
        default_factory=ExportSettings,
        description="Limits on export archives (<UAI>.zip), checked before reading.",
    )
    web: WebSettings = Field(
        default_factory=WebSettings,
        description="The web server: status pages, director pages, JSON API.",
    )

    # ---- derived values -------------------------------------------------------------------
    @property
    def state_path(self) -> Path:
        return Path(self.state_dir).expanduser()

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{(self.state_path / 'relance.sqlite3').resolve()}"

    @property
    def drop_path(self) -> Path:
        return (
            Path(self.intake.drop_dir).expanduser()
            if self.intake.drop_dir
            else (self.state_path / "drop")
        )

    @property
    def files_path(self) -> Path:
        """Where originals of ingested files are kept (until the retention purge)."""
        return self.state_path / "files"

    @property
    def templates_path(self) -> Path:
        if self.templates_dir:
            return Path(self.templates_dir).expanduser()
        return Path(__file__).resolve().parents[2] / "templates"


def normalise_database_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (the driver we install)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
