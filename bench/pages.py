"""Benchmark of the coordinators' pages on a district-sized installation, served for real.

    .venv/bin/python bench/pages.py [--schools 45000] [--requests 200] [--seed 6]

Builds a SQLite database with `--schools` schools and a campaign's worth of history (follow-ups
in every stage, archives, comptes rendus, anomalies, reminders sent, about ten events a school)
with bulk inserts, then starts the real web application under uvicorn in a subprocess on a free
loopback port, logs in as a coordinator and measures the 95th percentile of:
- the dashboard warm (its 60 s cache as in production) and cold (a second server whose
  dashboard cache keeps nothing: the cache is empty before each request, every answer computes
  every figure);
- the school table on every sort, both orders, on the first page, a middle and a deep page
  (reached as « Suivante » reaches them: by the keyset cursor of the row before, found by
  walking the table once before measuring), the page before the deep one (« Précédente ») and
  the last page (shuffled);
each request alternated with — the baseline — a static file served by the same server (A B,
then B A the next pair). The figure is the p95 of the page's times; the ratio is the median of
the pair ratios (page / static file), with their min–max. Targets: the dashboard ≤ 150 ms at
p95, cold or warm; any table page, any sort, ≤ 50 ms at p95; the server process under 300 MB
resident (VmHWM, its peak, read from /proc). Exits 0 even when a target is missed, printing
MISSED.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import Pairs, Row, emit, load_average

TARGET_MS = 150.0  # the dashboard, cold or warm
TARGET_TABLE_MS = 50.0  # any page of the school table, any sort
TARGET_RSS_MB = 300.0
PARIS = dt.timezone(dt.timedelta(hours=2))
EMAIL = "bench@example.org"
PASSWORD = "mot de passe du banc d'essai"
STAGES = (  # share of the schools in each stage, a few days after the observation date
    ("validated", 0.30),
    ("ready_to_validate", 0.20),
    ("awaiting_ine", 0.08),
    ("errors", 0.14),
    ("exported", 0.10),
    ("awaiting_export", 0.18),
)
STAGE_LABELS = {
    "awaiting_export": "Export attendu",
    "exported": "Exporté, compte rendu attendu",
    "errors": "Erreurs à corriger",
    "awaiting_ine": "INE en attente",
    "ready_to_validate": "Prête à valider",
    "validated": "Constat validé",
}
WORDS = (
    "Saint-Joseph",
    "Sainte-Anne",
    "Notre-Dame",
    "Jeanne-d'Arc",
    "Saint-Michel",
    "La Providence",
    "Sacré-Cœur",
    "Saint-Yves",
    "Les Tilleuls",
    "Immaculée-Conception",
)
COMMUNES = (
    "Rennes",
    "Vitré",
    "Fougères",
    "Redon",
    "Dinard",
    "Saint-Malo",
    "Bruz",
    "Janzé",
    "Montfort-sur-Meu",
    "Combourg",
    "Guichen",
    "Liffré",
    "Châteaugiron",
)


# ---- data ------------------------------------------------------------------------------------
def bench_settings(state: Path, url: str) -> Any:
    from daemon.config import Settings

    return Settings.model_validate(
        {
            "state_dir": str(state),
            "database_url": url,
            "log_level": "WARNING",
            "web": {"secret_key": "bench-secret-key-" + "x" * 32},
        }
    )


def generate(settings: Any, *, schools: int, seed: int, now: dt.datetime) -> dict[str, int]:
    """Fill the database with bulk inserts; returns the row counts."""
    from sqlalchemy import insert

    from daemon.app import App
    from daemon.codes import uai_check_letter
    from db.engine import transaction
    from db.models import (
        Anomaly,
        Document,
        Event,
        ExportSubmission,
        FollowUp,
        Reminder,
        School,
        User,
    )
    from db.schools import search_form
    from db.states import EventKind

    rng = random.Random(seed)
    app = App(settings, clock=lambda: now)
    with transaction(app.engine) as session:
        campaign = app.campaign(session, now)
        campaign_id = campaign.id
        start = dt.datetime.combine(campaign.start, dt.time(9), PARIS)
        session.add(
            User(
                email=EMAIL,
                name="Banc d'essai",
                password_hash=password_hash(PASSWORD),
                created_at=now,
            )
        )
    days = max(1, (now - start).days)
    counts = dict.fromkeys(
        ("school", "follow_up", "export", "document", "anomaly", "reminder", "event"), 0
    )
    school_rows: list[dict[str, Any]] = []
    for i in range(schools):
        dept = 1 + i % 95
        digits = f"{dept:03d}{i // 95:04d}"
        uai = digits + uai_check_letter(digits)
        name = f"École privée {rng.choice(WORDS)} {i}"
        commune = rng.choice(COMMUNES)
        circ = f"Circonscription {dept:02d}-{i % 7 + 1}"
        school_rows.append(
            {
                "id": i + 1,
                "uai": uai,
                "name": name,
                "commune": commune,
                "postal_code": f"{dept:02d}{rng.randint(0, 999):03d}",
                "departement": f"{dept:03d}",
                "circonscription": circ,
                "sector": "prive",
                "contract": rng.choice(("association", "association", "simple")),
                "nature": "ECOLE DE NIVEAU ELEMENTAIRE",
                "director_name": "",
                "director_email": f"ce.{uai.lower()}@ac-exemple.fr",
                "director_email_by_hand": False,
                "email_failing_since": now if rng.random() < 0.01 else None,
                "email_failure": "",
                "active": True,
                "source": "annuaire",
                "search_key": search_form(f"{name} {uai} {commune}"),
                "circonscription_key": search_form(circ),
                "created_at": start - dt.timedelta(days=10),
                "updated_at": start,
            }
        )
    follow_ups: list[dict[str, Any]] = []
    exports: list[dict[str, Any]] = []
    documents: list[dict[str, Any]] = []
    anomalies: list[dict[str, Any]] = []
    reminders: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []

    def event(school_id: int, at: dt.datetime, kind: Any, message: str, **data: Any) -> None:
        events.append(
            {
                "school_id": school_id,
                "campaign_id": campaign_id,
                "at": at,
                "kind": kind,
                "message": message,
                "data": data,
                "actor": "system",
                "stage": data.get("to"),  # the stage a stage_changed entered
            }
        )

    order = [s for s, _ in STAGES]
    weights = [w for _, w in STAGES]
    for row in school_rows:
        sid = row["id"]
        stage = rng.choices(order, weights)[0]
        reached = order.index(stage)
        event(sid, row["created_at"], EventKind.SCHOOL_ADDED, "Importée depuis l'annuaire")
        moment = start + dt.timedelta(hours=rng.randint(0, 24 * days // 3))
        previous = "awaiting_export"
        path = ["exported", "errors", "awaiting_ine", "ready_to_validate", "validated"]
        steps = [] if stage == "awaiting_export" else path[: path.index(stage) + 1]
        if stage in {"awaiting_ine", "ready_to_validate", "validated"} and rng.random() < 0.6:
            steps = [s for s in steps if s != "errors"]
        for step in steps:
            moment = min(now, moment + dt.timedelta(hours=rng.randint(6, 72)))
            if step == "exported":
                exports.append(
                    {
                        "school_id": sid,
                        "campaign_id": campaign_id,
                        "filename": f"{row['uai']}.zip",
                        "size": 40_000,
                        "sha256": f"{rng.getrandbits(256):064x}",
                        "received_at": moment,
                        "channel": "folder",
                        "members": ["eleves.csv", "classes.csv"],
                        "accepted": True,
                        "refusal": "",
                        "headcount": {"total": 120},
                        "findings": [],
                        "stored_path": "",
                    }
                )
                event(sid, moment, EventKind.EXPORT_RECEIVED, "Archive reçue : 120 élèves")
            elif step in {"errors", "awaiting_ine", "ready_to_validate"} and step != previous:
                errors = 2 if step == "errors" else 0
                documents.append(
                    {
                        "school_id": sid,
                        "campaign_id": campaign_id,
                        "kind": "compte_rendu",
                        "filename": "cr.pdf",
                        "size": 30_000,
                        "sha256": f"{rng.getrandbits(256):064x}",
                        "received_at": moment,
                        "channel": "folder",
                        "submitted_at": moment,
                        "processed_at": moment,
                        "counts": {
                            "rejections": errors,
                            "warnings": 0,
                            "pending_ine": 1 if step == "awaiting_ine" else 0,
                        },
                        "result": {},
                        "needs_review": False,
                        "review_reasons": [],
                        "stored_path": "",
                    }
                )
                event(sid, moment, EventKind.COMPTE_RENDU_INGESTED, "Compte rendu reçu")
                if errors:
                    for k in range(errors):
                        anomalies.append(
                            {
                                "school_id": sid,
                                "campaign_id": campaign_id,
                                "match_key": f"x{k}|y|2019-01-0{k + 1}",
                                "field": "Adresse",
                                "message": "Code postal absent",
                                "severity": "rejet",
                                "category": "export",
                                "first_seen_at": moment,
                                "last_seen_at": moment,
                            }
                        )
            elif step == "validated":
                event(
                    sid, moment, EventKind.VALIDATION_DECLARED, "Constat déclaré validé par l'école"
                )
            event(
                sid,
                moment,
                EventKind.STAGE_CHANGED,
                f"{STAGE_LABELS[previous]} → {STAGE_LABELS[step]} : généré pour le banc d'essai",
                to=step,
                **{"from": previous},
            )
            previous = step
        sent = rng.randint(0 if reached >= 4 else 1, 5 - min(reached, 4))
        for k in range(sent):
            day = (start + dt.timedelta(days=3 * k + 1)).date()
            due = dt.datetime.combine(day, dt.time(8, 30), PARIS)
            failed = rng.random() < 0.02
            reminders.append(
                {
                    "key": f"{sid}:{campaign_id}:reminder:{day.isoformat()}",
                    "school_id": sid,
                    "campaign_id": campaign_id,
                    "kind": "reminder",
                    "stage": "awaiting_export",
                    "day": day,
                    "recipient": row["director_email"],
                    "cc": [],
                    "payload": {},
                    "due_at": due,
                    "status": "failed" if failed else "sent",
                    "claimed_by": "",
                    "attempts": 1,
                    "next_attempt_at": due,
                    "last_error": "550 boîte inconnue" if failed else "",
                    "sent_at": None if failed else due,
                    "message_id": "",
                    "created_at": due,
                }
            )
            event(sid, due, EventKind.REMINDER_QUEUED, "Relance préparée")
            if failed:
                event(sid, due, EventKind.EMAIL_FAILING, "Adresse refusée par le serveur")
        follow_ups.append(
            {
                "school_id": sid,
                "campaign_id": campaign_id,
                "stage": stage,
                "stage_reason": "généré pour le banc d'essai",
                "stage_since": moment,
                "next_reminder_at": None
                if stage == "validated"
                else now + dt.timedelta(days=rng.randint(0, 4)),
                "last_reminder_at": None,
                "snoozed_until": None,
                "declared_validated_at": moment if stage == "validated" else None,
                "validation_confirmed_at": None,
                "confirmed_by": "",
                "ladder": [],
                "ladder_stage": "",
                "reminders_without_progress": sent,
                "escalations_done": [],
                "last_progress_at": moment,
                "problem_category": "",
                "problem_reported_at": None,
                "problem_detail": "",
                "updated_at": moment,
            }
        )
    with app.engine.begin() as conn:
        for table, rows, key in (
            (School, school_rows, "school"),
            (FollowUp, follow_ups, "follow_up"),
            (ExportSubmission, exports, "export"),
            (Document, documents, "document"),
            (Anomaly, anomalies, "anomaly"),
            (Reminder, reminders, "reminder"),
            (Event, events, "event"),
        ):
            for i in range(0, len(rows), 20_000):
                conn.execute(insert(table.__table__), rows[i : i + 20_000])  # type: ignore[attr-defined]
            counts[key] = len(rows)
        conn.exec_driver_sql("ANALYZE")
    app.close()
    return counts


def password_hash(password: str) -> str:
    from daemon.web.accounts import hash_password

    return hash_password(password)


# ---- the server ----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(state: str, url: str, port: int, now: str, cold: bool = False) -> None:
    """The server process: the real application under uvicorn (run as a subprocess); `cold`:
    its dashboard cache keeps nothing, every answer computes every figure."""
    import uvicorn

    from daemon.app import App
    from daemon.web.app import create_app
    from daemon.web.cache import TTLCache

    moment = dt.datetime.fromisoformat(now)
    app = App(bench_settings(Path(state), url), clock=lambda: moment)
    web = create_app(app)
    if cold:
        web.state.dashboard_cache = TTLCache(0)
    uvicorn.run(web, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start_server(
    state: Path, url: str, now: dt.datetime, *, cold: bool = False
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            str(state),
            url,
            str(port),
            now.isoformat(),
            *(["--cold"] if cold else []),
        ],
        cwd=Path(__file__).resolve().parents[1],
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(base + STATIC_PATH, timeout=1)
            return process, base
        except httpx.TransportError:
            if process.poll() is not None:
                raise SystemExit("the server stopped at start") from None
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not answer within 60 s")


STATIC_PATH = "/static/style.css"
LOGIN_PATH = "/connexion"
DASHBOARD_PATH = "/"
TABLE_PATH = "/ecoles"


def login(client: httpx.Client) -> None:
    page = client.get(LOGIN_PATH)
    token = re.search(r'name="csrf_token"\s+value="([^"]+)"', page.text)
    form = {"email": EMAIL, "password": PASSWORD}
    if token:
        form["csrf_token"] = token.group(1)
    answer = client.post(LOGIN_PATH, data=form)
    if answer.status_code >= 400 or "connexion" in str(answer.url).lower():
        raise SystemExit(f"login failed: {answer.status_code}")


@dataclass(frozen=True)
class Latency:
    """Times of a page and of the static file requested alternately with it (ms), with the
    path of each page request."""

    subject: list[float]
    baseline: list[float]
    paths: list[str]
    cpu: float  # the server's mean CPU time a page request (ms), whatever the machine's load

    @property
    def p95(self) -> float:
        return p95(self.subject)

    @property
    def baseline_p95(self) -> float:
        return p95(self.baseline)

    @property
    def median(self) -> float:
        return statistics.median(self.subject)

    @property
    def pairs(self) -> Pairs:
        return Pairs(self.subject, self.baseline)

    def by(self, label: Any) -> dict[str, list[float]]:
        """The page times grouped by `label(path)`."""
        groups: dict[str, list[float]] = {}
        for path, elapsed in zip(self.paths, self.subject, strict=True):
            groups.setdefault(label(path), []).append(elapsed)
        return groups


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def get(client: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    answer = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    answer.raise_for_status()
    if answer.url.path != path.split("?")[0]:  # redirected (to the login page)
        raise SystemExit(f"{path} answered with a redirect to {answer.url.path}")
    return elapsed


def alternated(client: httpx.Client, paths: list[str], requests: int, server: int) -> Latency:
    """`requests` GETs cycling through `paths`, each paired with a GET of the static file in
    alternating order (A B, then B A), after 5 of each not counted; with the server process's
    CPU time spent on the page requests (`server`: its pid)."""
    for path in (paths * 5)[:5]:
        get(client, path)
        get(client, STATIC_PATH)
    subject, baseline, asked, cpu = [], [], [], 0.0
    for number in range(requests):
        path = paths[number % len(paths)]
        asked.append(path)
        if number % 2 == 1:
            baseline.append(get(client, STATIC_PATH))
        before = cpu_ms(server)
        subject.append(get(client, path))
        cpu += cpu_ms(server) - before
        if number % 2 == 0:
            baseline.append(get(client, STATIC_PATH))
    return Latency(subject, baseline, asked, cpu / requests)


def cpu_ms(pid: int) -> float:
    """A process's CPU time so far (user + system, in ms; the kernel counts in ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def table_paths(settings: Any, now: dt.datetime, seed: int) -> list[str]:
    """Every sort, both orders: the first page, a middle and a deep one (after the cursor of
    the row before, as « Suivante » links them), the page before the deep one, the last page;
    shuffled."""
    from urllib.parse import urlencode

    from daemon.app import App
    from db.dashboard import SchoolFilters
    from db.engine import reading
    from db.school_table import SORTS, school_total

    app = App(settings, clock=lambda: now)
    paths = []
    with reading(app.engine) as session:
        campaign = app.campaign(session, now, follow_ups=False)
        assert campaign.id is not None
        for key in SORTS:
            for order in ("asc", "desc"):
                filters = SchoolFilters(sort=key, descending=order == "desc")
                total = school_total(session, campaign_id=campaign.id, filters=filters)
                last = -(-total // PER_PAGE)
                base = {"tri": key, "ordre": order}
                paths.append(f"{TABLE_PATH}?{urlencode(base)}")
                paths.append(f"{TABLE_PATH}?{urlencode({**base, 'page': last})}")
                for page in (last // 2, last * 9 // 10):  # the pages after these
                    cursor = cursor_at(session, campaign.id, filters, page * PER_PAGE)
                    after = {**base, "page": page + 1, "apres": cursor.token}
                    paths.append(f"{TABLE_PATH}?{urlencode(after)}")
                before = {**base, "page": page, "avant": cursor.token}
                paths.append(f"{TABLE_PATH}?{urlencode(before)}")
    app.close()
    random.Random(seed).shuffle(paths)
    return paths


PER_PAGE = 50


def cursor_at(session: Any, campaign_id: int, filters: Any, position: int) -> Any:
    """The cursor of the table's `position`-th row (setup only: the segments' rows counted,
    then one OFFSET query in the right segment), as the « Suivante » links would reach it."""
    from sqlalchemy import func, select

    from db.school_table import cursor_of, reading_order, segment_query

    for number, segment, descending in reading_order(filters.sort, filters.descending, False):
        query = segment_query(campaign_id, filters, segment, descending, None)
        size = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        if position <= size:
            row = session.execute(query.offset(position - 1).limit(1)).one()
            return cursor_of(number, segment, (row[0], row[1]))
        position -= size
    raise ValueError("past the table's end")


def resident_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def measure(state: Path, url: str, now: dt.datetime, args: Any) -> tuple[dict[str, Any], float]:
    """The warm server (its 60 s dashboard cache as in production), then a cold one (its cache
    keeps nothing); returns the latencies and the warm server's peak memory (MB)."""
    found: dict[str, Any] = {}
    paths = table_paths(bench_settings(state, url), now, args.seed)
    process, base = start_server(state, url, now)
    try:
        with httpx.Client(base_url=base, timeout=60, follow_redirects=True) as client:
            login(client)
            found["dashboard warm"] = alternated(
                client, [DASHBOARD_PATH], args.requests, process.pid
            )
            requests = max(args.requests, 3 * len(paths))
            found["table"] = alternated(client, paths, requests, process.pid)
        _rss, peak = resident_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
    process, base = start_server(state, url, now, cold=True)
    try:
        with httpx.Client(base_url=base, timeout=60, follow_redirects=True) as client:
            login(client)
            cold_requests = max(40, args.requests // 3)
            found["dashboard cold"] = alternated(
                client, [DASHBOARD_PATH], cold_requests, process.pid
            )
    finally:
        process.terminate()
        process.wait(timeout=30)
    return found, peak


def rows_for(found: dict[str, Any], peak: float, schools: int, load: str) -> list[Row]:
    targets = {"dashboard cold": TARGET_MS, "dashboard warm": TARGET_MS, "table": TARGET_TABLE_MS}
    figures = {
        "dashboard cold": f"dashboard p95, cache emptied before each request ({schools} schools)",
        "dashboard warm": f"dashboard p95, cache warm ({schools} schools)",
        "table": f"school table p95, every sort both ways: first, middle, deep, previous, "
        f"last pages ({schools} schools)",
    }
    rows = []
    for name, latency in found.items():
        pairs = latency.pairs
        rows.append(
            Row(
                "pages",
                f"{figures[name]}, {len(latency.subject)} requests ({load})",
                f"{latency.p95:.1f} ms (median {latency.median:.1f}; server CPU "
                f"{latency.cpu:.1f} ms a request)",
                f"static file, alternated: {latency.baseline_p95:.1f} ms p95",
                pairs.ratio,
                f"≤ {targets[name]:.0f} ms",
                latency.p95 <= targets[name],
                pairs.spread,
            )
        )
    rows.append(
        Row(
            "pages",
            "server peak resident memory",
            f"{peak:.0f} MB",
            "",
            None,
            f"< {TARGET_RSS_MB:.0f} MB",
            peak < TARGET_RSS_MB,
        )
    )
    return rows


def sort_of(path: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    query = parse_qs(urlsplit(path).query)
    where = "after a cursor" if "apres" in query else "before a cursor" if "avant" in query else ""
    where = where or ("last" if "page" in query else "first")
    return f"{query['tri'][0]} {query['ordre'][0]} ({where})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=45_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument(
        "--keep", metavar="DIR", help="build the database in DIR (reused if already there)"
    )
    parser.add_argument("--serve", nargs=4, metavar=("STATE", "URL", "PORT", "NOW"))
    parser.add_argument("--cold", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        state, url, port, now = args.serve
        serve(state, url, int(port), now, cold=args.cold)
        return 0
    now = dt.datetime(2026, 9, 24, 10, 0, tzinfo=PARIS).astimezone(dt.UTC)
    with tempfile.TemporaryDirectory(prefix="relance-bench-pages-") as tmp:
        folder = Path(args.keep or tmp)
        state = folder / "state"
        database = folder / "bench.sqlite3"
        url = f"sqlite:///{database}"
        if not (args.keep and database.exists()):
            started = time.perf_counter()
            settings = bench_settings(state, url)
            counts = generate(settings, schools=args.schools, seed=args.seed, now=now)
            built = time.perf_counter() - started
            print(f"[pages] database: {counts} built in {built:.1f} s")
        found, peak = measure(state, url, now, args)
    load = load_average()
    print(f"[pages] {load} at the end")
    for name, latency in found.items():
        print(
            f"[pages] {name}: median {latency.median:.1f} ms, p95 {latency.p95:.1f} ms, "
            f"server CPU {latency.cpu:.1f} ms a request"
        )
    for label, times in sorted(found["table"].by(sort_of).items()):
        middle = statistics.median(times)
        print(f"[pages]   table {label}: median {middle:.1f} ms, max {max(times):.1f}")
    emit(rows_for(found, peak, args.schools, load.split(" (")[0]))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
