"""Which school a message is about, in this order: the mail of ours it answers (`In-Reply-To`,
`References`), a UAI in the file's name or the subject, the sender being exactly one school's
director. Reads only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from daemon.codes import find_uais
from daemon.delivery.message import digest_message_id, verp_digest
from daemon.mailbox.bounces import Bounce
from db.models import Reminder, School


@dataclass(frozen=True)
class Found:
    school: School | None
    how: str  # how it was found, in French ("" when not found)
    problem: str = ""  # why no school, in French ("" when found)


def reminder_answered(session: Session, ids: Sequence[str]) -> Reminder | None:
    """Our mail among `ids` (the first one named), if any."""
    if not ids:
        return None
    rows = session.exec(select(Reminder).where(col(Reminder.message_id).in_(list(ids)))).all()
    by_id = {row.message_id: row for row in rows}
    return next((by_id[mid] for mid in ids if mid in by_id), None)


def reminder_reported(
    session: Session, bounce: Bounce, *, from_address: str, verp_address: str
) -> Reminder | None:
    """The mail of ours a delivery report is about: a Message-ID it returns, else the VERP
    address it was sent back to."""
    found = reminder_answered(session, bounce.original_ids)
    if found is not None or not verp_address:
        return found
    digests = [verp_digest(returned, verp_address) for returned in bounce.returned_to]
    ids = [digest_message_id(digest, from_address) for digest in digests if digest]
    return reminder_answered(session, ids)


def message_school(
    session: Session, *, replies_to: Sequence[str], subject: str, sender: str
) -> Found:
    """The school of a message as a whole: the mail it answers, its subject, its sender."""
    answered = reminder_answered(session, replies_to)
    school_id = answered.school_id if answered else None
    return school_for(session, answered_id=school_id, names=(subject,), sender=sender)


def known_correspondent(session: Session, *, sender: str, in_thread: bool) -> bool:
    """Whether relance may answer `sender`: someone answering our mail, or a director. A
    stranger's mail never gets an answer (no backscatter to forged senders)."""
    return in_thread or bool(directed_by(session, sender))


def directed_by(session: Session, sender: str) -> list[School]:
    """The active schools whose director's address is `sender`."""
    if not sender:
        return []
    query = select(School).where(
        func.lower(col(School.director_email)) == sender.lower(), col(School.active)
    )
    return list(session.exec(query.order_by(col(School.uai))))


def is_director(school: School, sender: str) -> bool:
    return bool(sender) and school.director_email.strip().lower() == sender.lower()


def not_director(found: Found, sender: str) -> str:
    """Why a file from `sender` is not taken for the school found ("" when it is)."""
    if found.school is None:
        return found.problem
    if is_director(found.school, sender):
        return ""
    known = found.school.director_email or "aucune adresse connue"
    return (
        f"l'expéditeur {sender or 'inconnu'} n'est pas la direction de l'école "
        f"{found.school.uai} ({known})"
    )


def school_for(
    session: Session, *, answered_id: int | None, names: Sequence[str], sender: str
) -> Found:
    """The school: the one of the mail answered (`answered_id`), else a UAI in `names` (the
    file's name, then the subject), else the one school `sender` directs."""
    answered = session.get(School, answered_id) if answered_id is not None else None
    if answered is not None:
        return Found(answered, "réponse à notre message")
    for name in names:
        uais = find_uais(name)
        if len(uais) > 1:
            return Found(None, "", f"plusieurs UAI dans « {name} » ({', '.join(uais)})")
        if uais:
            school = session.exec(select(School).where(School.uai == uais[0])).first()
            if school is None or not school.active:
                return Found(None, "", f"école {uais[0]} inconnue de cette installation")
            return Found(school, f"UAI {uais[0]} dans « {name} »")
    schools = directed_by(session, sender)
    if len(schools) == 1:
        return Found(schools[0], "adresse de la direction")
    if schools:
        listed = ", ".join(s.uai for s in schools)
        return Found(
            None, "", f"{sender} dirige plusieurs écoles ({listed}) : indiquez l'UAI dans l'objet"
        )
    return Found(
        None,
        "",
        "école inconnue : le message ne répond à aucun de nos mails, ne porte pas d'UAI "
        "(nom du fichier ou objet) et ne vient pas de l'adresse d'une direction",
    )
