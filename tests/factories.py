"""Documents for tests: comptes rendus and ONDE extractions as directors drop them."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from sqlmodel import Session

from daemon.demo.generate import compte_rendu, make_pupils
from daemon.ingest.reports.ocr.pupils import NameChecks
from daemon.ingest.reports.records import Report
from daemon.school.documents import FileFacts, Recorded, record_document
from db.models import Campaign, School
from tests.conftest import NOW

UAI = "0441234C"
OTHER = "0441235D"
EXTRACTION_HEADER = (
    "Nom élève;Nom d'usage élève;Prénom élève;Date naissance;Sexe;INE;Adresse1;Cp1;Commune1;"
    "Pays1;Adresse2;Cp2;Commune2;Pays2; Cycle;Niveau;Libellé classe;Identifiant classe;"
    "Attestation fournie;Autorisation associations;Autorisation photo;Décision de passage"
)


def cr_text(uai: str = UAI, *, errors: int = 2, pending: int = 1, day: int = 15) -> bytes:
    rng = random.Random(uai)
    pupils = make_pupils(uai, {"CP": 12, "CE1": 10}, rng, 2026)
    return compte_rendu(
        uai,
        "École Saint-Joseph",
        pupils,
        submitted=dt.datetime(2026, 9, day - 1, 17, 42),
        processed=dt.datetime(2026, 9, day, 3, 10),
        errors=errors,
        pending=pending,
        rng=rng,
    ).encode()


def extraction_csv(ine: str = "") -> bytes:
    row = (
        f"MARTIN;;Léa;03/05/2020;F;{ine};1 rue X;44000;Nantes;France;;;;;"
        "CYCLE II;CP;CP A;1;Non;Non;Non;"
    )
    return (EXTRACTION_HEADER + "\r\n" + row + "\r\n").encode("cp1252")


def campaign_row(session: Session, name: str = "2026") -> Campaign:
    """A campaign row written straight to the database (tests of the db functions)."""
    campaign = Campaign(
        name=name,
        start=dt.date(2026, 9, 1),
        observation_date=dt.date(2026, 9, 15),
        deadline=dt.date(2026, 10, 15),
        created_at=NOW,
    )
    session.add(campaign)
    session.flush()
    return campaign


def document_ingester(
    session: Session, school: School, campaign: Campaign, views: tuple[bytes, ...] = ()
) -> Callable[..., Recorded]:
    """`ingest(result, at, names=None)`: records a report read for the school, as the intake
    does (each with its own file name and digest; `views`: the page images of a scan)."""
    counter = iter(range(1000))

    def ingest(result: Report, at: dt.datetime, names: NameChecks | None = None) -> Recorded:
        n = next(counter)
        recorded = record_document(
            session,
            school=school,
            campaign=campaign,
            result=result,
            facts=FileFacts(f"f{n}.pdf", 100, f"{n:064d}", "cli", ""),
            now=at,
            names=names,
            views=views,
        )
        session.flush()
        return recorded

    return ingest
