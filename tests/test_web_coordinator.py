"""Coordinator pages against a real database: dashboard, table, CSV, school page, actions,
downloads, quarantine; hostile names from files stay text."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import threading
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from daemon.app import App
from daemon.ingest.intake.intake import Intake
from daemon.ingest.intake.watcher import DropWatcher
from daemon.school.actions import ProblemCategory, report_problem
from db.campaigns import get_follow_up
from db.models import (
    Anomaly,
    Campaign,
    Document,
    Event,
    FollowUp,
    IntakeFile,
    Pupil,
    Reminder,
    School,
)
from tests.conftest import NOW
from tests.factories import OTHER, UAI, cr_text
from tests.web_helpers import school, signed_in

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def campaign_of(app: App, session: Session) -> Campaign:
    campaign = app.campaign(session, NOW)
    session.commit()
    return campaign


def set_stage(
    session: Session, school_row: School, campaign: Campaign, stage: str, **extra
) -> None:
    assert school_row.id is not None and campaign.id is not None
    follow_up = get_follow_up(session, school_id=school_row.id, campaign_id=campaign.id)
    assert follow_up is not None
    follow_up.stage = stage
    for name, value in extra.items():
        setattr(follow_up, name, value)
    session.add(follow_up)
    session.commit()


@pytest.fixture
def district(app: App, session: Session) -> Campaign:
    """Four schools in two circonscriptions, in different stages."""
    a = school(session, "0441234C", "École Saint-Joseph")
    b = school(session, "0441235D", "École Sainte-Anne", contract="simple")
    c = school(
        session, "0441236E", "École du Port", circonscription="Saint-Nazaire", commune="Pornic"
    )
    d = school(session, "0441237F", "École Notre-Dame", circonscription="Saint-Nazaire")
    campaign = campaign_of(app, session)
    set_stage(session, a, campaign, "errors", stage_since=NOW - dt.timedelta(days=5))
    set_stage(
        session,
        b,
        campaign,
        "validated",
        declared_validated_at=NOW - dt.timedelta(days=1),
        next_reminder_at=None,
    )
    set_stage(session, c, campaign, "exported", next_reminder_at=NOW + dt.timedelta(days=2))
    set_stage(
        session, d, campaign, "awaiting_export", escalations_done=["coordinator"], escalated=True
    )
    c.email_failing_since = NOW - dt.timedelta(days=2)
    c.email_failure = "550 boîte inconnue"
    session.add(c)
    session.commit()
    return campaign


def test_the_dashboard_counts_stages_for_the_district_and_each_circonscription(
    app: App, district: Campaign
) -> None:
    with signed_in(app) as (client, _token):
        html = client.get("/").text
    assert "Tableau de bord" in html and "Campagne 2026-2027" in html
    assert "Tout le district" in html and "Nantes Centre" in html and "Saint-Nazaire" in html
    assert "écoles suivies" in html
    assert "25 %" in html  # one school validated out of four, on time
    assert "<svg" in html and "Avancement de la campagne" in html
    assert "date d'observation" in html and "date limite" in html


def test_a_share_below_one_percent_is_not_written_zero(app: App, session: Session) -> None:
    from daemon.codes import uai_check_letter

    uais = [f"044{n:04d}" + uai_check_letter(f"044{n:04d}") for n in range(150)]
    rows = [school(session, uai, f"École {uai}") for uai in uais]
    campaign = campaign_of(app, session)
    set_stage(session, rows[0], campaign, "validated", declared_validated_at=NOW)
    with signed_in(app) as (client, _token):
        html = client.get("/").text
    assert '<div class="value">&lt; 1 %</div><div class="label">part validée' in html
    assert '<td class="num">&lt; 1 %</td>' in html
    assert '<div class="value">0 %</div><div class="label">part validée' not in html


def test_the_dashboard_says_when_its_memoised_counts_were_computed(
    app: App, session: Session, district: Campaign
) -> None:
    with signed_in(app) as (client, _token):
        first = client.get("/").text
        validated = session.exec(select(School).where(School.uai == "0441234C")).one()
        set_stage(session, validated, district, "validated", declared_validated_at=NOW)
        memoised = client.get("/").text
        client.app.state.dashboard_cache.clear()  # type: ignore[attr-defined]
        fresh = client.get("/").text
    assert "Chiffres calculés le 14/09/2026 à 10:00" in first
    one, two = (f'<div class="value">{n}</div><div class="label">constats validés' for n in (1, 2))
    assert one in first and one in memoised  # a minute-old figure, as the page says
    assert two in fresh


def test_the_dashboard_lists_schools_needing_attention_and_those_without_reminders(
    app: App, district: Campaign
) -> None:
    with signed_in(app) as (client, _token):
        html = client.get("/").text
    attention = html.split("À regarder en premier")[1].split("Écoles sans relance prévue")[0]
    assert "École Notre-Dame" in attention and "Escaladée (coordination)" in attention
    assert "coordinator" not in attention  # the stored value, never shown
    assert "École du Port" in attention and "550 boîte inconnue" in attention
    assert "École Saint-Joseph" in attention and "Erreurs ouvertes" in attention
    idle = html.split("Écoles sans relance prévue")[1]
    assert "École Saint-Joseph" in idle and "École Notre-Dame" in idle
    assert "École du Port" not in idle and "École Sainte-Anne" not in idle


def test_a_document_to_check_by_hand_puts_its_school_on_the_attention_list(
    app: App, session: Session, district: Campaign
) -> None:
    joseph = session.exec(select(School).where(School.uai == "0441234C")).one()
    assert joseph.id is not None and district.id is not None
    for n, review in enumerate((False, True)):
        session.add(
            Document(
                school_id=joseph.id,
                campaign_id=district.id,
                kind="compte_rendu",
                filename=f"cr{n}.pdf",
                size=1,
                sha256=f"{n:064d}",
                received_at=NOW,
                channel="cli",
                needs_review=review,
                review_reasons=["ligne non reconnue : ???"] if review else [],
            )
        )
    session.commit()
    with signed_in(app) as (client, _token):
        html = client.get("/").text
    attention = html.split("À regarder en premier")[1].split("Écoles sans relance prévue")[0]
    row = attention.split("École Saint-Joseph")[1].split("</tr>")[0]
    assert "Document à vérifier" in row


def test_pages_follow_the_next_campaign_and_show_the_last_one_read_only(
    app: App, district: Campaign
) -> None:
    dates = {"start": dt.date(2027, 9, 1), "observation_date": dt.date(2027, 9, 17)}
    dates["deadline"] = dt.date(2027, 10, 1)
    app.open_next_campaign(name="2027-2028", dates=dates, now=NOW, actor="t")
    with signed_in(app) as (client, _token):
        current = client.get("/").text
        past = client.get("/?campagne=2026-2027").text
        unknown = client.get("/?campagne=1999-2000").text
        table = client.get("/ecoles?etape=validated").text
        past_table = client.get("/ecoles?etape=validated&campagne=2026-2027").text
        past_csv = client.get("/ecoles.csv?etape=validated&campagne=2026-2027").text
    assert "Campagne 2027-2028 — situation" in current and "consultation seule" not in current
    assert '<option value="2026-2027">2026-2027</option>' in current
    assert "À regarder en premier" in current
    assert "Campagne 2026-2027 — situation" in past
    assert "Campagne 2026-2027 terminée : consultation seule" in past
    assert "À regarder en premier" not in past and "Confirmer le constat" not in past
    assert "&amp;campagne=2026-2027" in past  # its counts lead to its own table
    assert "Campagne 2027-2028 — situation" in unknown
    assert "École Sainte-Anne" not in table  # validated last year, followed afresh
    assert "École Sainte-Anne" in past_table and "consultation seule" in past_table
    assert 'name="campagne" value="2026-2027"' in past_table
    assert re.search(r'href="/ecoles\.csv\?[^"]*campagne=2026-2027"', past_table)
    assert "École Sainte-Anne" in past_csv  # the view downloaded is the past campaign's


def test_a_school_page_shows_the_last_campaign_read_only(app: App, district: Campaign) -> None:
    dates = {"start": dt.date(2027, 9, 1), "observation_date": dt.date(2027, 9, 17)}
    dates["deadline"] = dt.date(2027, 10, 1)
    app.open_next_campaign(name="2027-2028", dates=dates, now=NOW, actor="t")
    with signed_in(app) as (client, _token):
        past_table = client.get("/ecoles?etape=validated&campagne=2026-2027").text
        uai = re.findall(r'href="/ecoles/(\d{7}[A-Z])\?campagne=2026-2027"', past_table)[0]
        current = client.get(f"/ecoles/{uai}").text
        past = client.get(f"/ecoles/{uai}?campagne=2026-2027").text
    assert "Campagne 2026-2027 terminée : consultation seule" in past
    assert "Constat validé" in past and "Constat validé" not in current  # its own follow-up
    assert "aucune : campagne terminée" in past
    assert "Relancer maintenant" not in past and "Relancer maintenant" in current
    assert "Suspendre" not in past and "consultation seule" not in current
    assert 'href="/ecoles?campagne=2026-2027"' in past  # back to the past campaign's table


def test_the_progress_chart_counts_validations_per_day(
    app: App, district: Campaign, session: Session
) -> None:
    from db.dashboard import progress_by_day

    assert district.id is not None
    days = progress_by_day(
        session, campaign_id=district.id, start=dt.date(2026, 9, 1), end=dt.date(2026, 9, 14)
    )
    assert len(days) == 14
    assert sum(d.validated for d in days) == 1
    assert [d.validated for d in days if d.day == dt.date(2026, 9, 13)] == [1]


def test_the_table_filters_by_stage_circonscription_contract_and_search(
    app: App, district: Campaign
) -> None:
    with signed_in(app) as (client, _token):
        errors = client.get("/ecoles?etape=errors").text
        assert "École Saint-Joseph" in errors and "École du Port" not in errors
        nazaire = client.get("/ecoles", params={"circonscription": "Saint-Nazaire"}).text
        assert "École du Port" in nazaire and "École Saint-Joseph" not in nazaire
        simple = client.get("/ecoles?contrat=simple").text
        assert "École Sainte-Anne" in simple and "École Saint-Joseph" not in simple
        by_commune = client.get("/ecoles?q=pornic").text
        assert "École du Port" in by_commune and "École Notre-Dame" not in by_commune
        by_uai = client.get("/ecoles?q=0441237f").text
        assert "École Notre-Dame" in by_uai and "1 école." in by_uai


def test_the_table_sorts_and_paginates(app: App, session: Session) -> None:
    for n in range(60):
        school(session, f"04410{n:02d}A", f"École {n:02d}")
    campaign_of(app, session)
    with signed_in(app) as (client, _token):
        first = client.get("/ecoles").text
        assert "60 écoles — page 1 sur 2" in first
        assert "École 00" in first and "École 49" in first and "École 50" not in first
        second = client.get("/ecoles?page=2").text
        assert "École 50" in second and "École 59" in second and "École 49" not in second
        reverse = client.get("/ecoles?tri=nom&ordre=desc").text
        assert reverse.index("École 59") < reverse.index("École 58")
        assert "École 09" not in reverse
        assert client.get("/ecoles?page=99").status_code == 200  # clamped to the last page


def _link(html: str, rel: str) -> str:
    """A pager link's address (rel="next" or "prev"), unescaped."""
    found = re.search(r'<a href="([^"]+)" rel="' + rel + '"', html)
    assert found, f"no {rel} link"
    return found.group(1).replace("&amp;", "&")


def test_the_table_pages_by_keyset_through_its_links(app: App, session: Session) -> None:
    """« Suivante » continues after the last row shown, « Précédente » before the first, a page
    from the end is the rest: every school once, in the sort's order."""
    for n in range(120):
        school(session, f"0442{n:03d}A", f"École {n:03d}")
    campaign_of(app, session)
    with signed_in(app) as (client, _token):
        first = client.get("/ecoles?tri=nom&ordre=desc").text
        assert "120 écoles — page 1 sur 3" in first and "École 119" in first
        second = client.get(_link(first, "next")).text
        assert "page 2 sur 3" in second
        assert "École 069" in second and "École 020" in second and "École 070" not in second
        third = client.get(_link(second, "next")).text
        assert "page 3 sur 3" in third and "École 019" in third and "École 000" in third
        assert "École 020" not in third
        assert 'rel="next"' not in third
        back = client.get(_link(third, "prev")).text
        assert "page 2 sur 3" in back and "École 069" in back and "École 020" in back
        assert "École 019" not in back and "École 070" not in back
        last = client.get("/ecoles?tri=nom&ordre=desc&page=3").text
        assert "page 3 sur 3" in last and "École 019" in last and "École 020" not in last


def test_the_stage_sort_follows_the_campaign_and_the_csv_keeps_the_page_order(
    app: App, district: Campaign
) -> None:
    """« Étape » sorts in the campaign's order (export awaited, exported, errors, …, validated),
    not the stored values' alphabetical one; the CSV of the view lists its rows as the page
    does."""
    with signed_in(app) as (client, _token):
        page = client.get("/ecoles?tri=etape").text
        rows = client.get("/ecoles.csv?tri=etape").content.decode("utf-8-sig").splitlines()[1:]
    in_order = ["École Notre-Dame", "École du Port", "École Saint-Joseph", "École Sainte-Anne"]
    assert [page.index(name) for name in in_order] == sorted(page.index(n) for n in in_order)
    assert [row.split(";")[1] for row in rows] == in_order


def test_the_csv_is_the_current_view_with_bom_and_semicolons(
    app: App, district: Campaign, session: Session
) -> None:
    school(session, "0441238G", '=HYPERLINK("http://x")', circonscription="Saint-Nazaire")
    campaign_of(app, session)
    with signed_in(app) as (client, _token):
        response = client.get("/ecoles.csv?circonscription=Saint-Nazaire&tri=uai&ordre=desc")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["UAI", "Nom", "Commune"]
    names = [r[1] for r in rows[1:]]
    assert names == ['\'=HYPERLINK("http://x")', "École Notre-Dame", "École du Port"]
    port = next(r for r in rows if r[0] == "0441236E")
    assert port[6] == "Exporté, compte rendu attendu"


def test_the_csv_keeps_awkward_text_and_every_page_of_the_view(app: App, session: Session) -> None:
    """Semicolons, quotes, line breaks and accents survive; all the rows of the filtered view,
    not only the page shown; each record ends with CRLF, as spreadsheets expect."""
    awkward = 'École "La Source" ; site\nannexe'
    school(session, "0441299A", awkward, commune="Saint-Étienne-de-Montluc")
    for n in range(60):
        school(session, f"04413{n:02d}A", f"École {n:02d}", commune="Ancenis")
    campaign_of(app, session)
    with signed_in(app) as (client, _token):
        response = client.get("/ecoles.csv?q=Ancenis")
        everything = client.get("/ecoles.csv?q=Montluc")
    assert response.headers["content-disposition"] == 'attachment; filename="ecoles-2026-09-14.csv"'
    text = response.content.decode("utf-8-sig")
    assert text.count("\r\n") == 61 and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert len(rows) == 61 and all(len(r) == len(rows[0]) for r in rows)
    rows = list(
        csv.reader(io.StringIO(everything.content.decode("utf-8-sig"), newline=""), delimiter=";")
    )
    assert rows[1][1] == awkward and rows[1][2] == "Saint-Étienne-de-Montluc"


def test_hostile_names_from_files_are_escaped(app: App, session: Session) -> None:
    row = school(session, "0441234C", HOSTILE, commune=HOSTILE, circonscription=HOSTILE)
    campaign = campaign_of(app, session)
    assert row.id is not None and campaign.id is not None
    pupil = Pupil(
        school_id=row.id,
        campaign_id=campaign.id,
        match_key="k",
        last_name=HOSTILE,
        first_name="<b>Léa</b>",
        ine_status="en_attente",
        first_seen_at=NOW,
        last_seen_at=NOW,
    )
    session.add(pupil)
    session.flush()
    session.add(
        Anomaly(
            school_id=row.id,
            campaign_id=campaign.id,
            pupil_id=pupil.id,
            match_key="k",
            field=HOSTILE,
            message=HOSTILE,
            severity="rejet",
            first_seen_at=NOW,
            last_seen_at=NOW,
        )
    )
    set_stage(session, row, campaign, "errors", stage_reason=HOSTILE)
    with signed_in(app) as (client, _token):
        pages = [
            client.get("/ecoles/0441234C").text,
            client.get("/ecoles").text,
            client.get("/").text,
            client.get("/ecoles/0441234C/actions/note", params={"note": HOSTILE}).text,
        ]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>Léa" not in html
        assert "&lt;script&gt;alert(" in html
    assert "&lt;b&gt;Léa&lt;/b&gt;" in pages[0]


def test_the_school_page_shows_stage_timeline_documents_anomalies_and_pupils(
    app: App, session: Session
) -> None:
    school(session, "0441234C")
    current = campaign_of(app, session)
    result = Intake(app).take_bytes(cr_text(), filename="cr.txt", channel="page", now=NOW)
    assert result.outcome == "processed"
    row = session.exec(select(School)).one()
    last_year = Campaign(
        name="2025-2026",
        start=dt.date(2025, 9, 1),
        observation_date=dt.date(2025, 9, 15),
        deadline=dt.date(2025, 9, 30),
        created_at=NOW,
    )
    session.add(last_year)
    session.flush()
    session.add(
        Reminder(
            key="last-year",
            school_id=row.id,
            campaign_id=last_year.id,
            kind="reminder",
            stage="awaiting_export",
            day=dt.date(2025, 9, 10),
            recipient="dir@example.org",
            due_at=NOW - dt.timedelta(days=365),
            next_attempt_at=NOW - dt.timedelta(days=365),
            created_at=NOW - dt.timedelta(days=365),
            status="sent",
        )
    )
    session.add(
        Reminder(
            key="r1",
            school_id=row.id,
            campaign_id=current.id,
            kind="reminder",
            stage="errors",
            day=NOW.date(),
            recipient="dir@example.org",
            due_at=NOW,
            next_attempt_at=NOW,
            created_at=NOW,
            status="failed",
            attempts=3,
            last_error="550 5.1.1 boîte inconnue",
        )
    )
    session.commit()
    with signed_in(app) as (client, _token):
        html = client.get("/ecoles/0441234c").text
    assert "Mails (1)" in html and "échec (3 essais)" in html and "550 5.1.1" in html
    assert "Erreurs à corriger" in html
    assert "cr.txt" in html and "/ecoles/0441234C/fichiers/document/" in html
    assert "Anomalies ouvertes (2)" in html
    assert "Élèves sans INE (1)" in html
    assert "Historique" in html and "Export attendu → Erreurs à corriger" in html
    # never swept yet, but the sweep's decision already knows when its first reminder leaves
    announced = html.split("<dt>Prochaine relance</dt>")[1].split("</dd>")[0]
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", announced) and "aucune" not in announced


def test_an_original_can_be_downloaded_but_only_from_the_state_folder(
    app: App, session: Session, tmp_path: Path
) -> None:
    school(session, "0441234C")
    campaign_of(app, session)
    Intake(app).take_bytes(cr_text(), filename="cr.txt", channel="page", now=NOW)
    document = session.exec(select(Document)).one()
    session.commit()
    with signed_in(app) as (client, _token):
        response = client.get(f"/ecoles/0441234C/fichiers/document/{document.id}")
        assert response.status_code == 200 and response.content == cr_text()
        assert "cr.txt" in response.headers["content-disposition"]
        assert client.get(f"/ecoles/0441235D/fichiers/document/{document.id}").status_code == 404
        outside = tmp_path / "secret.txt"
        outside.write_text("secret")
        document.stored_path = str(outside)
        session.add(document)
        session.commit()
        assert client.get(f"/ecoles/0441234C/fichiers/document/{document.id}").status_code == 404
        document.stored_path = "../../secret.txt"
        session.add(document)
        session.commit()
        assert client.get(f"/ecoles/0441234C/fichiers/document/{document.id}").status_code == 404


def _follow_up(session: Session, campaign: Campaign) -> FollowUp:
    session.rollback()  # a fresh snapshot: the pages wrote through other connections
    return session.exec(select(FollowUp).where(FollowUp.campaign_id == campaign.id)).one()


def test_each_action_asks_for_confirmation_before_changing_anything(
    app: App, session: Session
) -> None:
    school(session, "0441234C")
    campaign = campaign_of(app, session)
    with signed_in(app) as (client, _token):
        page = client.get("/ecoles/0441234C/actions/relancer")
    assert page.status_code == 200 and "Confirmer" in page.text and 'method="post"' in page.text
    assert _follow_up(session, campaign).next_reminder_at is None


def test_the_note_confirm_page_repeats_the_note_and_does_not_say_it_is_added_yet(
    app: App, session: Session
) -> None:
    school(session, "0441234C")
    campaign_of(app, session)
    with signed_in(app) as (client, _token):
        page = client.get("/ecoles/0441234C/actions/note", params={"note": "Appel <du> directeur"})
    assert page.status_code == 200
    assert "Cette note sera ajoutée à l'historique" in page.text
    assert '<blockquote class="note">Appel &lt;du&gt; directeur</blockquote>' in page.text
    assert "Note ajoutée" not in page.text


def test_the_school_page_forms_read_in_order(app: App, session: Session) -> None:
    school(session, "0441234C")
    campaign = campaign_of(app, session)
    set_stage(
        session,
        session.exec(select(School)).one(),
        campaign,
        "errors",
        escalations_done=["coordinator@3", "support@5"],
    )
    with signed_in(app) as (client, _token):
        html = client.get("/ecoles/0441234C").text
    pause = html.split('action="/ecoles/0441234C/actions/pause"')[1].split("</form>")[0]
    label, date, button = (
        pause.index(s) for s in ("Suspendre les relances jusqu'au", 'type="date"', "<button")
    )
    assert label < date < button
    note = html.split('action="/ecoles/0441234C/actions/note"')[1].split("</form>")[0]
    assert note.index('<label for="note">Note</label>') < note.index("<textarea")
    assert "coordination après 3 relances, assistance après 5 relances" in html
    assert "coordinator@3" not in html


def test_actions_change_the_database(app: App, session: Session) -> None:
    row = school(session, "0441234C")
    campaign = campaign_of(app, session)
    with signed_in(app) as (client, token):

        def act(action: str, **data: str):
            return client.post(
                f"/ecoles/0441234C/actions/{action}", data={"csrf_token": token, **data}
            )

        response = act("note", note="Appelée le directeur : export demain.")
        assert response.status_code == 303
        assert response.headers["location"] == "/ecoles/0441234C?fait=note"
        assert "Note ajoutée." in client.get(response.headers["location"]).text

        assert act("relancer").status_code == 303
        assert _follow_up(session, campaign).next_reminder_at == NOW

        assert act("pause", jusquau="2026-09-18").status_code == 303
        snoozed = _follow_up(session, campaign).snoozed_until
        assert snoozed is not None and snoozed.date() == dt.date(2026, 9, 18)

        too_far = act("pause", jusquau="2027-01-18")
        assert too_far.status_code == 400 and "Au plus" in too_far.text

        assert act("adresse", adresse="direction@ecole.example").status_code == 303
        bad = act("adresse", adresse="pas-une-adresse")
        assert bad.status_code == 400 and "invalide" in bad.text

        assert act("confirmer").status_code == 303
        follow_up = _follow_up(session, campaign)
        assert follow_up.validation_confirmed_at == NOW and follow_up.stage == "validated"
        again = act("relancer")
        assert again.status_code == 400 and "validé" in again.text

    session.rollback()
    edited = session.get(School, row.id)
    assert edited is not None
    assert edited.director_email == "direction@ecole.example" and edited.director_email_by_hand
    kinds = [e.kind for e in session.exec(select(Event).where(Event.school_id == row.id))]
    for kind in ("note", "resend_requested", "snoozed", "school_edited", "validation_confirmed"):
        assert kind in kinds
    actors = {e.actor for e in session.exec(select(Event).where(Event.kind == "note"))}
    assert actors == {"coordination@example.org"}


def _attention_row(client, name: str) -> str:
    html = client.get("/").text
    attention = html.split("À regarder en premier")[1].split("Écoles sans relance prévue")[0]
    return attention.split(name)[1].split("</tr>")[0] if name in attention else ""


def test_a_reported_problem_is_listed_first_until_marked_treated_by_a_csrf_post(
    app: App, session: Session, district: Campaign
) -> None:
    port = session.exec(select(School).where(School.uai == "0441236E")).one()
    set_stage(  # its address fails too, a later reason: the problem comes first
        session, port, district, "exported", problem_category="export", problem_reported_at=NOW
    )
    with signed_in(app) as (client, token):
        assert "Problème signalé et sans réponse" in _attention_row(client, "École du Port")
        page = client.get("/ecoles/0441236E").text
        form = page.split('action="/ecoles/0441236E/actions/traite"')
        assert 'method="post"' in form[0][-80:]
        assert 'name="csrf_token"' in form[1].split("</form>")[0]
        assert "Marquer comme traité" in page and "sans réponse" in page
        assert client.get("/ecoles/0441236E/actions/traite").status_code == 200  # asks only
        refused = client.post("/ecoles/0441236E/actions/traite", data={"csrf_token": "faux"})
        assert refused.status_code == 403
        assert _follow_up_of(session, port).problem_answered_at is None
        done = client.post("/ecoles/0441236E/actions/traite", data={"csrf_token": token})
        assert done.status_code == 303 and done.headers["location"].endswith("?fait=traite")
        assert "Problème signalé marqué comme traité." in client.get(done.headers["location"]).text
        row = _attention_row(client, "École du Port")
        assert "Problème signalé" not in row and "Adresse du directeur en échec" in row
        assert "Marquer comme traité" not in client.get("/ecoles/0441236E").text
        answered = _follow_up_of(session, port)
        assert (answered.problem_answered_at, answered.problem_answered_by) == (
            NOW,
            "coordination@example.org",
        )
        event = session.exec(select(Event).where(Event.kind == "problem_answered")).one()
        assert (event.school_id, event.actor) == (port.id, "coordination@example.org")
        later = NOW + dt.timedelta(hours=1)
        report_problem(  # the director reports again: unanswered again
            session,
            school=port,
            campaign=district,
            category=ProblemCategory.INE,
            detail="INE en litige",
            now=later,
            actor="directeur",
        )
        session.commit()
        app.clock = lambda: later
        row = _attention_row(client, "École du Port")
        assert "Problème signalé et sans réponse (INE en attente" in row
        assert "Marquer comme traité" in client.get("/ecoles/0441236E").text


def _follow_up_of(session: Session, row: School) -> FollowUp:
    session.rollback()  # a fresh snapshot: the pages wrote through other connections
    assert row.id is not None
    return session.exec(select(FollowUp).where(FollowUp.school_id == row.id)).one()


def test_quarantined_files_can_be_retried_once_the_school_exists(
    app: App, session: Session
) -> None:
    campaign_of(app, session)
    result = Intake(app).take_bytes(cr_text(), filename="cr.txt", channel="page", now=NOW)
    assert result.outcome == "quarantined"
    with signed_in(app) as (client, token):
        page = client.get("/quarantaine").text
        assert "cr.txt" in page and "inconnue" in page and "page web" in page
        confirm = client.get(f"/quarantaine/{result.intake_id}/reprendre")
        assert confirm.status_code == 200 and "relu" in confirm.text
        school(session, "0441234C")
        done = client.post(f"/quarantaine/{result.intake_id}/reprendre", data={"csrf_token": token})
        assert done.status_code == 200 and "traité" in done.text
        assert not Path(result.stored_path).exists()  # the quarantined copy is gone
        assert "cr.txt" not in client.get("/quarantaine").text.split("<main>")[1]
    session.rollback()
    outcomes = [r.outcome for r in session.exec(select(IntakeFile).order_by(IntakeFile.id))]
    assert outcomes == ["retried", "processed"]
    assert session.exec(select(Document)).one().school_id is not None


def test_the_quarantine_names_the_school_the_file_names(app: App, session: Session) -> None:
    """A scan named after its school is refused as unreadable, but its school is said."""
    school(session, "0351056H", "École du Sacré-Cœur")
    campaign_of(app, session)
    result = Intake(app).take_bytes(
        b"%PDF-1.4 scan abime", filename="0351056H-scan.pdf", channel="folder", now=NOW
    )
    assert result.outcome == "quarantined"
    with signed_in(app) as (client, _token):
        page = client.get("/quarantaine").text
        school_page = client.get("/ecoles/0351056H").text
    row = page.split("0351056H-scan.pdf", 1)[1].split("</tr>", 1)[0]
    assert '<a href="/ecoles/0351056H">École du Sacré-Cœur</a> (0351056H)' in row
    assert "inconnue" not in row
    assert "0351056H-scan.pdf mis en quarantaine" in school_page  # in its history too


def test_a_quarantined_archive_retried_once_accepted_is_not_kept_anywhere(
    app: App, session: Session
) -> None:
    from tests.archives import UAI, export_archive

    campaign_of(app, session)
    result = Intake(app).take_bytes(
        export_archive(4), filename=f"{UAI}.zip", channel="page", now=NOW
    )
    assert result.outcome == "quarantined" and "pas suivie" in result.reason
    quarantined = Path(result.stored_path)
    assert quarantined.exists()
    school(session, UAI)
    with signed_in(app) as (client, token):
        done = client.post(f"/quarantaine/{result.intake_id}/reprendre", data={"csrf_token": token})
        assert done.status_code == 200
        page = client.get(f"/ecoles/{UAI}").text
        assert f"{UAI}.zip" in page and "/fichiers/envoi/" not in page  # no copy to download
    assert not quarantined.exists()
    assert not Path(str(quarantined) + ".reason.txt").exists()
    state = app.settings.state_path
    assert not [p for p in state.rglob("*.zip")], list(state.rglob("*.zip"))
    session.rollback()
    outcomes = [r.outcome for r in session.exec(select(IntakeFile).order_by(IntakeFile.id))]
    assert outcomes == ["retried", "processed"]


def test_a_quarantined_file_can_be_discarded(app: App, session: Session) -> None:
    campaign_of(app, session)
    result = Intake(app).take_bytes(b"n'importe quoi", filename="x.bin", channel="page", now=NOW)
    assert result.outcome == "quarantined"
    stored = Path(result.stored_path)
    assert stored.exists()
    with signed_in(app) as (client, token):
        response = client.post(
            f"/quarantaine/{result.intake_id}/supprimer", data={"csrf_token": token}
        )
        assert response.status_code == 303
        assert "Fichier écarté." in client.get(response.headers["location"]).text
        again = client.post(
            f"/quarantaine/{result.intake_id}/supprimer", data={"csrf_token": token}
        )
        assert again.status_code == 404
    assert not stored.exists()
    session.rollback()
    assert session.get(IntakeFile, result.intake_id).outcome == "discarded"  # type: ignore[union-attr]


# ---- files that are not what they seem: links, FIFOs, hard links, swapped folders ----------------
SECRET = b"cle-de-signature-a-ne-jamais-lire"


@pytest.fixture
def dropping(app: App, session: Session) -> tuple[DropWatcher, Path]:
    """The real watcher on the drop folder, files taken as soon as seen; a secret of the
    installation next to it (what a link would point to)."""
    campaign_of(app, session)
    school(session, UAI)
    app.settings.intake.stable_seconds = 0
    secret = app.settings.state_path / "secret_key"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_bytes(SECRET)
    app.settings.drop_path.mkdir(parents=True, exist_ok=True)
    return DropWatcher(Intake(app), clock=lambda: NOW), secret


def only_row(session: Session) -> IntakeFile:
    session.rollback()
    return session.exec(select(IntakeFile).order_by(col(IntakeFile.id).desc())).first()


def test_a_dropped_link_to_the_signing_key_is_never_read_served_or_deleted(
    app: App, session: Session, dropping: tuple[DropWatcher, Path]
) -> None:
    watcher, secret = dropping
    (app.settings.drop_path / "lien.pdf").symlink_to(secret)
    watcher.scan_once()
    row = only_row(session)
    assert row.outcome == "quarantined" and "lien symbolique" in row.reason
    with signed_in(app) as (client, token):
        download = client.get(f"/quarantaine/{row.id}/fichier")
        assert download.status_code == 404 and SECRET not in download.content
        retried = client.post(f"/quarantaine/{row.id}/reprendre", data={"csrf_token": token})
        assert "rien à reprendre" in retried.text and "lien symbolique" in retried.text
        assert only_row(session).outcome == "quarantined"  # still there, nothing was read
        discarded = client.post(f"/quarantaine/{row.id}/supprimer", data={"csrf_token": token})
        assert discarded.status_code == 303
    assert secret.read_bytes() == SECRET  # neither read into a document nor deleted
    assert not Path(row.stored_path).is_symlink()  # the link itself is what went
    assert session.exec(select(Document)).all() == []


def test_a_processed_file_swapped_for_a_link_is_not_served(
    app: App, session: Session, dropping: tuple[DropWatcher, Path]
) -> None:
    watcher, secret = dropping
    (app.settings.drop_path / f"{UAI}-cr.txt").write_bytes(cr_text())
    watcher.scan_once()
    document = session.exec(select(Document)).one()
    kept = Path(document.stored_path)
    assert kept.read_bytes() == cr_text()
    kept.unlink()
    kept.symlink_to(secret)  # swapped after intake by someone with access to the drop folder
    day = kept.parent
    with signed_in(app) as (client, _token):
        url = f"/ecoles/{UAI}/fichiers/document/{document.id}"
        swapped = client.get(url)
        assert swapped.status_code == 404 and SECRET not in swapped.content
        kept.unlink()
        kept.write_bytes(cr_text())
        assert client.get(url).content == cr_text()  # the real file is served
        day.rename(day.with_name("ailleurs"))
        day.symlink_to(day.with_name("ailleurs"))  # a folder on the way swapped for a link
        assert client.get(url).status_code == 404
    assert secret.read_bytes() == SECRET


def test_a_fifo_or_a_hard_link_is_quarantined_unread_and_never_blocks(
    app: App, session: Session, dropping: tuple[DropWatcher, Path]
) -> None:
    watcher, secret = dropping
    drop = app.settings.drop_path
    os.mkfifo(drop / "tube.pdf")
    os.link(secret, drop / "copie.pdf")
    scanning = threading.Thread(target=watcher.scan_once, daemon=True)
    scanning.start()
    scanning.join(20)
    assert not scanning.is_alive(), "the watcher blocked on the FIFO"
    session.rollback()
    reasons = {r.original_name: r.reason for r in session.exec(select(IntakeFile))}
    assert "pas un fichier ordinaire" in reasons["tube.pdf"]
    assert "lien physique" in reasons["copie.pdf"]
    with signed_in(app) as (client, _token):
        for row in session.exec(select(IntakeFile)):
            assert client.get(f"/quarantaine/{row.id}/fichier").status_code == 404
    assert secret.read_bytes() == SECRET


def test_a_link_planted_where_the_reason_will_be_written_is_not_written_through(
    app: App, session: Session, dropping: tuple[DropWatcher, Path]
) -> None:
    watcher, secret = dropping
    quarantine = app.settings.drop_path / "quarantine"
    quarantine.mkdir()
    (quarantine / "x.bin.reason.txt").symlink_to(secret)
    (quarantine / ".x.bin.reason.txt.writing").symlink_to(secret)
    (app.settings.drop_path / "x.bin").write_bytes(b"n'importe quoi")
    watcher.scan_once()
    assert only_row(session).outcome == "quarantined"
    assert secret.read_bytes() == SECRET


def test_a_retry_keeps_the_school_of_the_page_it_was_dropped_on(app: App, session: Session) -> None:
    """Refused on school A's page because it is school B's: a retry refuses it again."""
    campaign_of(app, session)
    school(session, UAI)
    school(session, OTHER, "École Sainte-Anne")
    intake = Intake(app)
    refused = intake.take_bytes(
        cr_text(OTHER), filename="cr.txt", channel="page", now=NOW, school_uai=UAI
    )
    assert refused.outcome == "quarantined" and OTHER in refused.reason
    with signed_in(app) as (client, token):
        confirm = client.get(f"/quarantaine/{refused.intake_id}/reprendre").text
        assert "Reçu par une page web pour l&#39;école École Saint-Joseph (0441234C)" in confirm
        retried = client.post(
            f"/quarantaine/{refused.intake_id}/reprendre", data={"csrf_token": token}
        )
        assert retried.status_code == 200 and f"pas de {UAI}" in retried.text
    session.rollback()
    assert session.exec(select(Document)).all() == []  # never recorded for the other school
    outcomes = [r.outcome for r in session.exec(select(IntakeFile).order_by(IntakeFile.id))]
    assert outcomes == ["retried", "quarantined"]


def test_the_school_page_says_when_the_director_answered(
    app: App, session: Session, tmp_path: Path
) -> None:
    """A reply without a file is left in the mailbox; the page says so, with its subject."""
    from daemon.config.settings import MailboxSettings
    from daemon.mailbox.maildir import MaildirSource
    from daemon.mailbox.poller import Poller
    from tests.mail_samples import plain_reply

    school(session, "0441234C", director_email="direction@ecoles.example.org")
    source = MaildirSource(MailboxSettings(maildir=str(tmp_path / "boite")))
    source.open()
    (tmp_path / "boite" / "new" / "1.note").write_bytes(
        plain_reply(
            sender="direction@ecoles.example.org",
            in_reply_to="",
            subject="Re: Constat de rentrée 0441234C",
            text="Je refais l'export demain.",
        )
    )
    assert Poller(app, source).run_pass() == 1
    with signed_in(app) as (client, _token):
        page = client.get("/ecoles/0441234C").text
    assert (
        "Le directeur a répondu le 14/09/2026 : « Re: Constat de rentrée 0441234C » "
        "(sans pièce jointe : le message est dans la boîte de la coordination)."
    ) in page


def test_schools_awaiting_confirmation_are_counted_filtered_listed_and_confirmed_from_the_list(
    app: App, session: Session, district: Campaign
) -> None:
    anne = session.exec(select(School).where(School.uai == "0441235D")).one()
    set_stage(session, anne, district, "ready_to_validate")  # declared, not confirmed yet
    mute = school(session, "0441238G", "École Sans-Adresse", director_email="")
    app.campaign(session, NOW)
    session.commit()
    joseph = session.exec(select(School).where(School.uai == "0441234C")).one()
    Intake(app).take_bytes(cr_text(), filename="cr.txt", channel="page", now=NOW)
    with signed_in(app) as (client, _token):
        html = client.get("/").text
        table = client.get("/ecoles?confirmation=attente").text
    assert '<a href="/ecoles?confirmation=attente">1</a>' in html
    assert "constat à confirmer" in html
    attention = html.split("À regarder en premier")[1].split("Écoles sans relance prévue")[0]
    row = attention.split("École Sainte-Anne")[1].split("</tr>")[0]
    assert "Constat déclaré validé, à confirmer" in row
    assert 'href="/ecoles/0441235D/actions/confirmer"' in row
    assert mute.name in attention and "Aucune adresse de directeur" in attention
    sent = attention.split(joseph.name)[1].split("</tr>")[0]
    assert "aucune" not in sent and "jamais" not in sent  # it sent a compte rendu
    assert "École Sainte-Anne" in table and "École Saint-Joseph" not in table


def test_a_validated_school_offers_neither_reminding_nor_pausing(
    app: App, session: Session, district: Campaign
) -> None:
    with signed_in(app) as (client, token):
        validated = client.get("/ecoles/0441235D").text
        running = client.get("/ecoles/0441234C").text
        refused = client.post(
            "/ecoles/0441235D/actions/pause",
            data={"jusquau": "2026-09-20", "csrf_token": token},
        )
    assert "actions/relancer" not in validated and "actions/pause" not in validated
    assert "actions/relancer" in running and "actions/pause" in running
    assert "plus de relance à suspendre" in refused.text


def test_the_school_page_shows_the_archive_headcount_findings_and_sources_side_by_side(
    app: App, session: Session
) -> None:
    from tests.archives import layout, set_cell, to_zip

    school(session, "0441234C")
    campaign_of(app, session)
    members = layout(6)
    set_cell(members, "eleves.csv", 2, "prenom", "")
    intake = Intake(app)
    intake.take_bytes(to_zip(members), filename="0441234C.zip", channel="page", now=NOW)
    intake.take_bytes(cr_text(), filename="cr.txt", channel="page", now=NOW + dt.timedelta(hours=1))
    with signed_in(app) as (client, _token):
        html = client.get("/ecoles/0441234C").text
    section = html.split("<h2>Effectifs</h2>")[1].split("<h2>Exports reçus")[0]
    assert "Tableau d'effectif de la dernière archive" in section
    assert "Test de cohérence (1)" in section and "prenom" in section
    assert section.count('class="differs"') == 2  # the archive's 6 and the CR's 22
    assert "Les effectifs diffèrent" in section
