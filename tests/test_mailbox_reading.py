"""A message as a typed record: the files the usual clients attach (their real shapes and file
name encodings), what is not a file, automatic answers, a key that is the same from the headers
alone, and no exception on a broken message."""

from __future__ import annotations

import pytest

from daemon.mailbox.reading import TNEF_REASON, header_block, message_key, read_message
from tests import mail_samples as samples
from tests.factories import cr_text

SENDER = "direction@ecoles.example.org"
OURS = "<relance.0123456789abcdef0123456789abcdef@example.org>"


def names(raw: bytes) -> list[tuple[str, str]]:
    return [(a.filename, a.content_type) for a in read_message(raw).attachments]


def test_outlook_names_in_encoded_words_and_its_signature_image_is_no_file() -> None:
    raw = samples.outlook_reply(sender=SENDER, in_reply_to=OURS, data=b"%PDF-1.4 x")
    message = read_message(raw)
    assert names(raw) == [("compte rendu école.pdf", "application/pdf")]
    assert message.attachments[0].data == b"%PDF-1.4 x"
    assert message.sender == SENDER and message.replies_to == (OURS,)
    assert message.subject == "RE: Constat de rentrée : 2 élèves en erreur à corriger"
    assert message.automatic == ""


def test_thunderbird_rfc2231_names_in_pieces_are_joined() -> None:
    raw = samples.thunderbird_reply(
        sender=SENDER, in_reply_to="", data=cr_text(), filename="relevé n°2 — école Noël.txt"
    )
    assert names(raw) == [("relevé n°2 — école Noël.txt", "text/plain")]


def test_gmail_attachments_with_a_content_id_are_files() -> None:
    raw = samples.gmail_reply(sender=SENDER, in_reply_to="", data=b"a;b", filename="élèves.csv")
    assert names(raw) == [("élèves.csv", "text/csv")]


def test_apple_mail_inline_files_are_files() -> None:
    raw = samples.apple_mail(
        sender=SENDER, subject="export", data=b"PK\x03\x04", filename="0441234C.zip"
    )
    assert names(raw) == [("0441234C.zip", "application/zip")]


def test_winmail_dat_is_a_file_with_its_reason() -> None:
    [attachment] = read_message(samples.outlook_winmail(sender=SENDER, in_reply_to="")).attachments
    assert attachment.filename == "winmail.dat" and attachment.refusal == TNEF_REASON


def test_the_files_of_a_forwarded_message_are_found() -> None:
    original = samples.thunderbird_reply(sender=SENDER, in_reply_to="", data=cr_text())
    raw = samples.forwarded_as_attachment(sender=SENDER, original=original, subject="TR: cr")
    assert names(raw) == [("compte-rendu-école-Saint-Joseph-septembre.txt", "text/plain")]


def test_a_plain_reply_has_no_file() -> None:
    raw = samples.plain_reply(sender=SENDER, in_reply_to=OURS, subject="Re: x", text="Merci")
    assert read_message(raw).attachments == ()


def test_signatures_cards_and_invitations_are_no_files() -> None:
    raw = (
        b"From: a@b.example\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary=b\r\n'
        b"\r\n--b\r\nContent-Type: text/plain\r\n\r\nBonjour\r\n"
        b'--b\r\nContent-Type: text/vcard; name="carte.vcf"\r\n'
        b'Content-Disposition: attachment; filename="carte.vcf"\r\n\r\nBEGIN:VCARD\r\n'
        b'--b\r\nContent-Type: application/pkcs7-signature; name="smime.p7s"\r\n'
        b'Content-Disposition: attachment; filename="smime.p7s"\r\n\r\nxx\r\n--b--\r\n'
    )
    assert read_message(raw).attachments == ()


def test_a_nameless_attachment_gets_a_name() -> None:
    raw = (
        b"From: a@b.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n"
        b"\r\n--b\r\nContent-Type: text/plain\r\n\r\nBonjour\r\n"
        b"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n"
    )
    assert names(raw) == [("pièce jointe.pdf", "application/pdf")]


@pytest.mark.parametrize(
    ("header", "automatic"),
    [
        ("Auto-Submitted: auto-replied", "Auto-Submitted: auto-replied"),
        ("Auto-Submitted: auto-generated", "Auto-Submitted: auto-generated"),
        ("X-Autoreply: yes", "x-autoreply"),
        ("X-Autorespond: vacances", "x-autorespond"),
        ("Precedence: bulk", "Precedence: bulk"),
        ("List-Id: <parents.ecole.example>", "liste de diffusion"),
        ("Subject: Réponse automatique : Constat", "objet de réponse automatique"),
        ("Subject: Message d'absence", "objet de réponse automatique"),
        ("Subject: Out of Office: Constat", "objet de réponse automatique"),
        ("Auto-Submitted: no", ""),
        ("Subject: Absence de compte rendu ce matin", ""),
    ],
)
def test_automatic_answers_are_recognised(header: str, automatic: str) -> None:
    raw = f"From: {SENDER}\r\n{header}\r\n\r\nJe suis absente.\r\n".encode()
    assert read_message(raw).automatic == automatic


@pytest.mark.parametrize(
    "raw",
    [
        samples.outlook_reply(sender=SENDER, in_reply_to=OURS, data=b"x"),
        b"From: a@b.example\r\nSubject: sans Message-ID\r\n\r\ncorps\r\n",
    ],
    ids=["message-id", "digest"],
)
def test_the_key_is_the_same_from_the_headers_alone(raw: bytes) -> None:
    assert message_key(header_block(raw) + b"\r\n\r\n") == message_key(raw)
    assert read_message(raw).key == message_key(raw)[0]


def test_a_broken_message_reads_as_what_can_be_read() -> None:
    raw = (
        b"From: =?utf-8?B?broken\r\nSubject: =?x-unknown?Q?abc?=\r\nDate: hier\r\n"
        b"In-Reply-To: <a@b\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\r\n"
        b"\r\n\xff\xfe garbage\r\n"
    )
    message = read_message(raw)
    assert message.date is None and message.attachments == ()
    assert message.key.startswith("sha:")
