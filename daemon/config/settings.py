"""The settings table: every setting relance reads, with its default and one line of help.

One typed object (`Settings`) is built once in `main()` from `relance.toml` plus environment
overrides (see `daemon.config.loading`). Nothing here reads the environment or the disk.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.config import JsonDict

from daemon import TEMPLATES_DIR
from daemon.codes import parse_uai

SECRET: JsonDict = {"secret": True}


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class SettingError(ValueError):
    """A value that cannot work given another one of its section: `keys` are the settings to
    name, the first one written in the file is shown with its line; the message says why."""

    def __init__(self, message: str, *keys: str) -> None:
        super().__init__(message)
        self.keys = keys


def _time_of_day(value: object) -> object:
    """A time is written 08:00 or "08:00": a bare number (730, 8) would be read as seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"heure attendue (HH:MM, par exemple 07:30), pas le nombre {value}")
    return value


def _school_year_end(day: dt.date) -> dt.date:
    """The last day (31 August) of the school year `day` belongs to."""
    return dt.date(day.year + (day.month >= 9), 8, 31)


def _email_or_empty(value: str) -> str:
    value = value.strip()
    if value and ("@" not in value or value.startswith("@") or value.endswith("@")):
        raise ValueError(f"adresse e-mail invalide : {value!r}")
    return value


class CampaignSettings(Section):
    """The campaign followed: one school year, its dates and calendar."""

    name: str = Field("2026-2027", description="Nom de la campagne (l'année scolaire suivie).")
    start: dt.date = Field(
        dt.date(2026, 9, 1),
        description="Premier jour de la campagne (la rentrée) : début des relances.",
    )
    observation_date: dt.date = Field(
        dt.date(2026, 9, 18), description="Date d'observation du constat des effectifs."
    )
    deadline: dt.date = Field(
        dt.date(2026, 10, 2),
        description="Dernier jour pour valider le constat ; au-delà, en retard.",
    )
    timezone: str = Field(
        "Europe/Paris", description="Fuseau horaire des dates et des plages d'envoi."
    )
    holiday_zone: Literal["A", "B", "C"] = Field(
        "B", description="Zone de vacances scolaires de l'académie (Nantes, Rennes : B)."
    )
    extra_days_off: list[dt.date] = Field(
        default_factory=list, description="Jours sans relance en plus (pont, congé local)."
    )
    validation_requires_confirmation: bool = Field(
        False,
        description="Un « constat validé » ne compte qu'une fois confirmé par la coordination.",
    )
    retention_days: int = Field(
        120,
        ge=1,
        description="Jours après l'échéance avant la purge des fichiers déposés et des élèves.",
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
        """start ≤ observation_date ≤ deadline ≤ the end of start's school year."""
        start, observation, deadline = self.start, self.observation_date, self.deadline
        end = _school_year_end(start)
        if observation < start:
            raise SettingError(
                f"la date d'observation ({observation:%d/%m/%Y}) est avant le début de la "
                f"campagne (start = {start:%d/%m/%Y})",
                "observation_date",
                "start",
            )
        if deadline < observation:
            raise SettingError(
                f"la date limite ({deadline:%d/%m/%Y}) est avant la date d'observation "
                f"({observation:%d/%m/%Y})",
                "deadline",
                "observation_date",
            )
        if deadline > end:
            raise SettingError(
                f"la date limite ({deadline:%d/%m/%Y}) est après la fin de l'année scolaire "
                f"commencée le {start:%d/%m/%Y} ({end:%d/%m/%Y}) : une année de trop ?",
                "deadline",
                "start",
            )
        return self


class LadderStep(Section):
    """One step of an escalation ladder."""

    after: int = Field(..., ge=1, description="Relances sans progrès avant cette étape.")
    notify: Literal["coordinator", "support"] = Field(..., description="Qui est prévenu.")


def _ladder(coordinator_after: int, support_after: int) -> list[LadderStep]:
    return [
        LadderStep(after=coordinator_after, notify="coordinator"),
        LadderStep(after=support_after, notify="support"),
    ]


class StagePolicy(Section):
    """When a stage's reminders start, how often they come, and when to escalate."""

    first_after_days: int = Field(0, ge=0, description="Jours d'école après le début de l'étape.")
    interval_days: int = Field(3, ge=1, description="Jours d'école entre deux relances.")
    ladder: list[LadderStep] = Field(
        default_factory=lambda: _ladder(3, 5),
        description="Escalade : après N relances sans progrès, qui est prévenu.",
    )


class ReadyPolicy(StagePolicy):
    """The 'ready to validate' stage: reminders come more often near the deadline."""

    near_deadline_days: int = Field(
        3,
        ge=0,
        description="Jours d'école avant l'échéance à partir desquels les relances se rapprochent.",
    )
    near_deadline_interval_days: int = Field(
        1, ge=1, description="Intervalle (jours d'école) quand l'échéance est proche."
    )


class ReminderSettings(Section):
    """Sending window and the cadence of each stage's reminders (school days)."""

    window_start: dt.time = Field(
        dt.time(8, 0), description="Les relances partent à partir de cette heure."
    )
    window_end: dt.time = Field(dt.time(18, 0), description="… et pas après cette heure.")
    digest_time: dt.time = Field(
        dt.time(7, 30), description="Heure du point du jour de la coordination (jours d'école)."
    )
    tick_seconds: int = Field(
        60, ge=5, description="Secondes entre deux passages de l'ordonnanceur."
    )
    max_snooze_days: int = Field(
        10,
        ge=1,
        description="Plus long « relancez-moi le … » qu'un directeur peut demander, en jours.",
    )
    stop_after_days: int = Field(
        15,
        ge=0,
        description=(
            "Jours d'école après la date limite au-delà desquels plus aucune relance n'est "
            "écrite ; la coordination reçoit alors un dernier bilan (0 : relances sans fin)."
        ),
    )
    awaiting_export: StagePolicy = Field(
        default_factory=lambda: StagePolicy(first_after_days=2, interval_days=3),
        description="Pas encore d'archive d'export (compté depuis le début de la campagne).",
    )
    exported: StagePolicy = Field(
        default_factory=lambda: StagePolicy(first_after_days=2, interval_days=2),
        description="Export fait, mais aucun compte rendu déposé N jours d'école après.",
    )
    errors: StagePolicy = Field(
        default_factory=lambda: StagePolicy(first_after_days=0, interval_days=2),
        description="Le dernier compte rendu a des rejets ou des avertissements ouverts.",
    )
    awaiting_ine: StagePolicy = Field(
        default_factory=lambda: StagePolicy(first_after_days=2, interval_days=3),
        description="Aucun rejet ouvert, mais des élèves sont encore sans INE.",
    )
    ready_to_validate: ReadyPolicy = Field(
        default_factory=lambda: ReadyPolicy(first_after_days=0, interval_days=3),
        description="Tout est intégré : valider le constat (dès la date d'observation).",
    )
    overdue: StagePolicy = Field(
        default_factory=lambda: StagePolicy(
            first_after_days=0, interval_days=1, ladder=_ladder(1, 3)
        ),
        description="L'échéance est passée et le constat n'est pas validé.",
    )

    @field_validator("window_start", "window_end", "digest_time", mode="before")
    @classmethod
    def _no_bare_number(cls, value: object) -> object:
        return _time_of_day(value)

    @model_validator(mode="after")
    def _window_in_order(self) -> ReminderSettings:
        if self.window_end <= self.window_start:
            raise SettingError(
                f"la plage d'envoi finit ({self.window_end:%H:%M}) avant de commencer "
                f"({self.window_start:%H:%M}) : aucune relance ne partirait",
                "window_end",
                "window_start",
            )
        return self


class ContactSettings(Section):
    """Who signs the mails and where problems are routed, by category."""

    coordinator_name: str = Field(
        "Coordination du constat", description="Signataire des mails (le service de coordination)."
    )
    coordinator_email: str = Field(
        "", description="Adresse de réponse des relances (la boîte de la coordination)."
    )
    coordinators: list[str] = Field(
        default_factory=list, description="Adresses qui reçoivent le point du jour."
    )
    coordinator_circonscriptions: dict[str, list[str]] = Field(
        default_factory=dict,
        description=(
            "Circonscriptions couvertes par le point du jour de chaque coordinateur "
            "(adresse = [noms]) ; un coordinateur sans circonscription reçoit tout le territoire."
        ),
    )
    export_support_email: str = Field(
        "", description="Assistance pour l'export, Ange ou le logiciel de l'école."
    )
    onde_support_email: str = Field(
        "", description="Assistance académique pour l'accès à ONDE (clé OTP, « Accès directeur »)."
    )
    ine_support_email: str = Field(
        "",
        description="Contact pour un INE en attente depuis longtemps ou en litige "
        "(vide : celui des autres problèmes).",
    )
    other_support_email: str = Field(
        "", description="Contact pour tout autre problème (vide : la coordination)."
    )
    onde_url: str = Field(
        "",
        description="Portail ONDE de votre académie, donné aux directeurs (vide : aucun).",
    )

    @field_validator(
        "coordinator_email",
        "export_support_email",
        "onde_support_email",
        "ine_support_email",
        "other_support_email",
    )
    @classmethod
    def _address(cls, value: str) -> str:
        return _email_or_empty(value)

    @field_validator("coordinators")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        return [_email_or_empty(v) for v in value if v.strip()]

    @field_validator("coordinator_circonscriptions")
    @classmethod
    def _scopes(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {
            _email_or_empty(address).lower(): [n.strip() for n in names if n.strip()]
            for address, names in value.items()
            if address.strip()
        }

    def circonscriptions_of(self, coordinator: str) -> tuple[str, ...]:
        """The circonscriptions a coordinator's digest covers (none: all of them)."""
        return tuple(self.coordinator_circonscriptions.get(coordinator.lower(), ()))


class SmtpSettings(Section):
    """The SMTP server mails go through."""

    host: str = Field("127.0.0.1", description="Hôte du serveur SMTP.")
    port: int = Field(8025, ge=1, le=65535, description="Port du serveur SMTP.")
    security: Literal["none", "starttls", "tls"] = Field(
        "none", description="Sécurité du transport : none, starttls ou tls (implicite)."
    )
    username: str = Field("", description="Identifiant SMTP (vide : sans authentification).")
    password: str = Field("", description="Mot de passe SMTP.", json_schema_extra=SECRET)
    from_address: str = Field("relance@localhost", description="Adresse d'expéditeur des mails.")
    from_name: str = Field("Relance constat de rentrée", description="Nom d'expéditeur affiché.")
    timeout_seconds: float = Field(
        30.0, gt=0, description="Délai maximal d'un échange SMTP (secondes)."
    )
    concurrency: int = Field(4, ge=1, le=64, description="Mails envoyés en même temps.")
    rate_per_minute: int = Field(
        120, ge=1, description="Nombre maximal de mails envoyés par minute."
    )
    retry_base_seconds: int = Field(
        60, ge=1, description="Premier délai de nouvel essai après une erreur 4xx (secondes)."
    )
    retry_max_seconds: int = Field(
        3600, ge=1, description="Plus long délai entre deux essais (plafond, secondes)."
    )
    lease_seconds: int = Field(
        300, ge=10, description="Durée de réservation d'un mail pris en charge (secondes)."
    )
    list_id: str = Field(
        "relance.constat.local",
        description="En-tête List-Id des mails (pour les filtres de messagerie).",
    )


class IntakeSettings(Section):
    """The drop folder where comptes rendus, extractions and archives arrive."""

    drop_dir: str = Field("", description="Dossier de dépôt (vide : <state_dir>/drop).")
    stable_seconds: float = Field(
        2.0, ge=0, description="Un fichier est pris une fois inchangé pendant ce temps (secondes)."
    )
    max_file_mb: int = Field(
        50, ge=1, description="Au-delà (Mo), un fichier est refusé avant lecture."
    )
    max_pdf_pages: int = Field(
        200, ge=1, description="Au-delà de ce nombre de pages, un compte rendu PDF est refusé."
    )
    ocr_seconds: int = Field(
        180,
        ge=10,
        description="Temps maximal de lecture d'un scan ou d'une photo par OCR (secondes).",
    )
    ocr_memory_mb: int = Field(
        1536, ge=512, description="Mémoire maximale du processus qui lit un scan par OCR (Mo)."
    )
    labels_file: str = Field(
        "",
        description="Fichier TOML remplaçant les libellés des comptes rendus (vide : aucun).",
    )
    pdf_page_content_mb: float = Field(
        2.0,
        gt=0,
        description="Contenu maximal d'une page PDF une fois décompressé (Mo) ; au-delà, refusé.",
    )
    quarantine_max_mb_per_school: int = Field(
        200,
        ge=1,
        description="Quarantaine des fichiers envoyés par les pages et l'API, par école (Mo).",
    )
    quarantine_max_mb_total: int = Field(
        2000,
        ge=1,
        description="Quarantaine des fichiers envoyés par les pages et l'API, en tout (Mo).",
    )
    reader_workers: int = Field(
        2, ge=1, le=32, description="Processus qui lisent les fichiers reçus, en parallèle."
    )
    reader_cpu_seconds: float = Field(
        30.0, gt=0, description="Temps de calcul maximal pour lire un fichier (secondes)."
    )
    reader_memory_mb: int = Field(
        1024, ge=256, description="Mémoire maximale d'un processus de lecture (Mo)."
    )
    reader_wall_seconds: float = Field(
        90.0, gt=0, description="Durée maximale de la lecture d'un fichier (secondes)."
    )


class ExportSettings(Section):
    """Limits on export archives (<UAI>.zip), checked before reading."""

    max_members: int = Field(20, ge=1, description="Nombre maximal de fichiers dans une archive.")
    max_total_mb: int = Field(
        100, ge=1, description="Taille maximale d'une archive une fois décompressée (Mo)."
    )
    max_ratio: int = Field(
        100, ge=1, description="Taux de compression maximal d'un fichier de l'archive."
    )
    aliases_file: str = Field(
        "", description="Fichier TOML remplaçant les alias de colonnes (vide : aucun)."
    )


class WebSettings(Section):
    """The web server: status pages, director pages, JSON API."""

    host: str = Field("127.0.0.1", description="Adresse d'écoute du serveur web.")
    port: int = Field(8000, ge=1, le=65535, description="Port du serveur web.")
    base_url: str = Field(
        "http://127.0.0.1:8000", description="Adresse publique utilisée dans les liens des mails."
    )
    secret_key: str = Field(
        "",
        description="Clé de signature des liens et des sessions (vide : générée dans state_dir).",
        json_schema_extra=SECRET,
    )
    link_ttl_days: int = Field(45, ge=1, description="Jours de validité du lien d'un directeur.")
    link_session_minutes: int = Field(
        120,
        ge=5,
        description="Minutes pendant lesquelles la page d'une école reste ouverte après le lien.",
    )
    session_hours: int = Field(
        12, ge=1, description="Durée d'une session de la coordination, en heures."
    )
    cookie_secure: bool | None = Field(
        None, description="Cookies sécurisés (non défini : oui si base_url est en https)."
    )
    max_upload_mb: int = Field(
        20, ge=1, description="Plus gros fichier accepté sur les pages (Mo)."
    )
    staged_max_mb_per_school: int = Field(
        60,
        ge=1,
        description="Fichiers déposés en attente de confirmation, par école (Mo) ; "
        "au-delà, les plus anciens sont oubliés.",
    )
    staged_max_mb_total: int = Field(
        500, ge=1, description="Fichiers déposés en attente de confirmation, en tout (Mo)."
    )
    demo_mail_dir: str = Field(
        "",
        description="Dossier des mails capturés, listés sur /demo/mails (démo ; vide : rien).",
    )
    login_attempts_per_minute: int = Field(
        5, ge=1, description="Échecs de connexion permis par minute, par compte et adresse IP."
    )
    login_failures_per_address_per_minute: int = Field(
        20, ge=1, description="Échecs de connexion permis par minute d'une adresse IP."
    )
    login_failures_per_minute: int = Field(
        100, ge=1, description="Échecs de connexion permis par minute, toutes adresses."
    )
    login_concurrency: int = Field(
        2, ge=1, le=16, description="Vérifications de mot de passe menées en même temps."
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Mandataires inverses (IP ou réseau) dont on lit l'en-tête X-Forwarded-For.",
    )
    api_token: str = Field(
        "",
        description="Jeton de l'API JSON et du point de dépôt des exports.",
        json_schema_extra=SECRET,
    )
    school_tokens: dict[str, str] = Field(
        default_factory=dict,
        description="Jetons par école pour le point de dépôt des exports (UAI = jeton).",
        json_schema_extra=SECRET,
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError as exc:
                raise ValueError(f"adresse ou réseau invalide : {item!r}") from exc
        return [item.strip() for item in value]

    @field_validator("school_tokens")
    @classmethod
    def _school_uais(cls, value: dict[str, str]) -> dict[str, str]:
        # a wrong UAI raises InvalidUAI (a ValueError) naming the expected letter
        return {parse_uai(uai): token for uai, token in value.items()}


class MailboxSettings(Section):
    """The coordination mailbox relance reads: replies with files attached, bounces."""

    host: str = Field("", description="Serveur IMAP de la boîte lue (vide : boîte non lue).")
    port: int = Field(993, ge=1, le=65535, description="Port du serveur IMAP.")
    security: Literal["none", "starttls", "tls"] = Field(
        "tls", description="Sécurité de la connexion IMAP : none, starttls ou tls (implicite)."
    )
    user: str = Field("", description="Identifiant de la boîte.")
    password: str = Field("", description="Mot de passe de la boîte.", json_schema_extra=SECRET)
    password_file: str = Field(
        "", description="Fichier contenant le mot de passe (à la place de password)."
    )
    folder: str = Field("INBOX", description="Dossier lu (les réponses des directeurs).")
    processed_folder: str = Field(
        "relance/traités", description="Où vont les messages traités (« / » : sous-dossier)."
    )
    refused_folder: str = Field(
        "relance/refusés", description="Où vont les messages refusés (rien n'est supprimé)."
    )
    poll_seconds: int = Field(
        60, ge=1, description="Secondes entre deux relevés (IDLE : réveil dès qu'un mail arrive)."
    )
    max_message_mb: int = Field(
        25, ge=1, description="Au-delà (Mo), un message est refusé sans être téléchargé."
    )
    verp_address: str = Field(
        "",
        description="Adresse de retour VERP des relances (local+jeton@domaine ; vide : aucune).",
    )
    maildir: str = Field(
        "", description="Dossier Maildir lu à la place d'IMAP (démo, essais ; vide : IMAP)."
    )

    @field_validator("verp_address")
    @classmethod
    def _address(cls, value: str) -> str:
        return _email_or_empty(value)

    @model_validator(mode="after")
    def _credentials(self) -> MailboxSettings:
        if self.host and not self.user:
            raise ValueError("host est donné : il faut aussi user")
        if self.host and not (self.password or self.password_file):
            raise ValueError("host est donné : il faut password ou password_file")
        if self.password and self.password_file:
            raise ValueError("password et password_file : un seul des deux")
        return self

    @property
    def configured(self) -> bool:
        return bool(self.host or self.maildir)


class Settings(Section):
    """All of relance's settings."""

    database_url: str = Field(
        "", description="URL SQLAlchemy (vide : fichier SQLite dans state_dir ; ou postgresql://…)."
    )
    state_dir: str = Field("state", description="Dossier de la base, des fichiers et des clés.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Niveau de journalisation."
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="Lignes de journal en texte ou en JSON."
    )
    templates_dir: str = Field(
        "", description="Dossier des modèles de mails et de pages (vide : ceux fournis)."
    )
    campaign: CampaignSettings = Field(
        default_factory=CampaignSettings,
        description="La campagne suivie : une année scolaire, ses dates et son calendrier.",
    )
    reminders: ReminderSettings = Field(
        default_factory=ReminderSettings,
        description="Plage d'envoi et rythme de chaque étape, en jours d'école.",
    )
    contacts: ContactSettings = Field(
        default_factory=ContactSettings,
        description="Signataire des mails et destinataires des problèmes, par catégorie.",
    )
    smtp: SmtpSettings = Field(
        default_factory=SmtpSettings, description="Le serveur SMTP par lequel passent les mails."
    )
    intake: IntakeSettings = Field(
        default_factory=IntakeSettings,
        description="Le dossier de dépôt des comptes rendus, extractions et archives.",
    )
    exports: ExportSettings = Field(
        default_factory=ExportSettings,
        description="Limites des archives d'export (<UAI>.zip), vérifiées avant lecture.",
    )
    web: WebSettings = Field(
        default_factory=WebSettings,
        description="Le serveur web : pages de suivi, pages des directeurs, API JSON.",
    )
    mailbox: MailboxSettings = Field(
        default_factory=MailboxSettings,
        description="La boîte de la coordination : réponses des directeurs, avis de non-remise.",
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
        return TEMPLATES_DIR


def normalise_database_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (the driver we install)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
