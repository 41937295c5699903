# ruff: noqa: E501  (the samples keep the long lines real clients write)
"""Messages as the usual clients and mail servers really write them: their MIME structure,
headers, encodings and file-name conventions (Outlook's RFC 2047 names and winmail.dat,
Thunderbird's RFC 2231 continuations, Gmail's attachment ids, Apple Mail's inline files,
forwards), and delivery reports from Postfix, Exim and Exchange."""

from __future__ import annotations

import base64
import hashlib
import quopri
import urllib.parse
from email.header import Header

COORDINATION = "coordination@example.org"
DATE = "Mon, 14 Sep 2026 09:12:44 +0200"


def _b64(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii").replace("\n", "\r\n")


def _qp(text: str, charset: str = "utf-8") -> str:
    return quopri.encodestring(text.encode(charset)).decode("ascii").replace("\n", "\r\n")


def _rfc2047(name: str, charset: str = "utf-8") -> str:
    return Header(name, charset).encode(maxlinelen=998)


def _rfc2231(name: str, pieces: int = 1) -> str:
    """`filename*0*=utf-8''…; filename*1*=…` (Thunderbird) or `filename*=utf-8''…`."""
    quoted = urllib.parse.quote(name, safe="")
    if pieces == 1:
        return f"filename*=utf-8''{quoted}"
    size = -(-len(quoted) // pieces)
    chunks = [quoted[i : i + size] for i in range(0, len(quoted), size)]
    # never cut a %XX escape in two
    fixed: list[str] = []
    for chunk in chunks:
        if fixed and fixed[-1][-2:].startswith("%"):
            fixed[-1], chunk = fixed[-1][:-2], fixed[-1][-2:] + chunk
        elif fixed and fixed[-1].endswith("%"):
            fixed[-1], chunk = fixed[-1][:-1], "%" + chunk
        fixed.append(chunk)
    parts = [f"filename*{i}*=" + ("utf-8''" if i == 0 else "") + c for i, c in enumerate(fixed)]
    return ";\r\n ".join(parts)


def _thread(in_reply_to: str) -> str:
    return f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n" if in_reply_to else ""


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def outlook_reply(
    *,
    sender: str,
    in_reply_to: str,
    data: bytes,
    filename: str = "compte rendu école.pdf",
    subject: str = "RE: Constat de rentrée : 2 élèves en erreur à corriger",
    content_type: str = "application/pdf",
    message_id: str = "<PR3P195MB0712C3E5F7A1@PR3P195MB0712.EURP195.PROD.OUTLOOK.COM>",
) -> bytes:
    """Outlook (Microsoft 365): multipart/mixed > related(alternative, signature image) + the
    file, its name in RFC 2047 encoded words inside quotes."""
    name = _rfc2047(filename, "iso-8859-1")
    text = _qp(
        "Bonjour,\nVoici le compte rendu corrigé.\nCordialement,\nMarie Dupont", "iso-8859-1"
    )
    html = _qp(
        "<html><body><p>Bonjour,</p><p>Voici le compte rendu corrigé.</p>"
        '<img src="cid:image001.png@01DB0A1B.2C3D4E50"></body></html>',
        "iso-8859-1",
    )
    logo = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    )
    return _crlf(
        f"""From: "Dupont Marie" <{sender}>
To: "Coordination du constat" <{COORDINATION}>
Subject: {_rfc2047(subject)}
Thread-Topic: {_rfc2047(subject)}
Thread-Index: AQHa9xYzQm1kLmN3pE2yZq8n
Date: {DATE}
Message-ID: {message_id}
{_thread(in_reply_to)}Accept-Language: fr-FR, en-US
Content-Language: fr-FR
X-MS-Has-Attach: yes
X-MS-TNEF-Correlator:
Content-Type: multipart/mixed;
	boundary="_004_PR3P195MB0712_"
MIME-Version: 1.0

--_004_PR3P195MB0712_
Content-Type: multipart/related;
	boundary="_006_PR3P195MB0712_";
	type="multipart/alternative"

--_006_PR3P195MB0712_
Content-Type: multipart/alternative;
	boundary="_000_PR3P195MB0712_"

--_000_PR3P195MB0712_
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

{text}
--_000_PR3P195MB0712_
Content-Type: text/html; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

{html}
--_000_PR3P195MB0712_--

--_006_PR3P195MB0712_
Content-Type: image/png; name="image001.png"
Content-Description: image001.png
Content-Disposition: inline; filename="image001.png"; size=68
Content-ID: <image001.png@01DB0A1B.2C3D4E50>
Content-Transfer-Encoding: base64

{_b64(logo)}
--_006_PR3P195MB0712_--

--_004_PR3P195MB0712_
Content-Type: {content_type}; name="{name}"
Content-Description: {name}
Content-Disposition: attachment; filename="{name}"; size={len(data)};
	creation-date="Mon, 14 Sep 2026 07:10:02 GMT";
	modification-date="Mon, 14 Sep 2026 07:12:44 GMT"
Content-Transfer-Encoding: base64

{_b64(data)}
--_004_PR3P195MB0712_--
"""
    )


def outlook_winmail(*, sender: str, in_reply_to: str) -> bytes:
    """Outlook in rich-text mode: the files are wrapped in winmail.dat (TNEF)."""
    tnef = b"\x78\x9f\x3e\x22" + b"\x00" * 60
    return _crlf(
        f"""From: "Dupont Marie" <{sender}>
To: <{COORDINATION}>
Subject: RE: Constat de rentrée
Date: {DATE}
Message-ID: <000001db0a1b$2c3d4e50$84b7eaf0$@ecoles.example.org>
{_thread(in_reply_to)}MIME-Version: 1.0
X-Mailer: Microsoft Outlook 16.0
Content-Type: multipart/mixed;
	boundary="----=_NextPart_000_0001_01DB0A1B.2C3D4E50"

This is a multipart message in MIME format.

------=_NextPart_000_0001_01DB0A1B.2C3D4E50
Content-Type: text/plain;
	charset="iso-8859-1"
Content-Transfer-Encoding: 7bit

Bonjour, ci-joint le compte rendu.

------=_NextPart_000_0001_01DB0A1B.2C3D4E50
Content-Type: application/ms-tnef;
	name="winmail.dat"
Content-Transfer-Encoding: base64
Content-Disposition: attachment;
	filename="winmail.dat"

{_b64(tnef)}
------=_NextPart_000_0001_01DB0A1B.2C3D4E50--
"""
    )


def thunderbird_reply(
    *,
    sender: str,
    in_reply_to: str,
    data: bytes,
    filename: str = "compte-rendu-école-Saint-Joseph-septembre.txt",
    subject: str = "Re: Constat de rentrée",
) -> bytes:
    """Thunderbird: a text file attached, its long French name in RFC 2231 continuations."""
    return _crlf(
        f"""Content-Type: multipart/mixed; boundary="------------0E2jK0bGqT7fXpLm3Vd9"
Message-ID: <5b1c9e0a-7d2f-4c1e-9a8b-3f6e2d1c0b9a@ecoles.example.org>
Date: {DATE}
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Content-Language: fr
To: Coordination du constat <{COORDINATION}>
{_thread(in_reply_to)}From: Jean Le Goff <{sender}>
Subject: {_rfc2047(subject)}

This is a multi-part message in MIME format.
--------------0E2jK0bGqT7fXpLm3Vd9
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 8bit

Bonjour,

Voici le compte rendu de ce matin.

--
Jean Le Goff

--------------0E2jK0bGqT7fXpLm3Vd9
Content-Type: text/plain; charset=UTF-8; name*=utf-8''{urllib.parse.quote(filename, safe="")}
Content-Disposition: attachment;
 {_rfc2231(filename, pieces=3)}
Content-Transfer-Encoding: base64

{_b64(data)}
--------------0E2jK0bGqT7fXpLm3Vd9--
"""
    )


def gmail_reply(
    *,
    sender: str,
    in_reply_to: str,
    data: bytes,
    filename: str,
    content_type: str = "text/csv",
    subject: str = "Re: Constat de rentrée",
) -> bytes:
    """Gmail: mixed > alternative + the file with an X-Attachment-Id and a Content-ID."""
    return _crlf(
        f"""MIME-Version: 1.0
Date: {DATE}
{_thread(in_reply_to)}Message-ID: <CAF=+kq7n3Hc1Rvq2eZm8Xw0pL5tYb9uJ4dVh6sGa@mail.gmail.com>
Subject: {_rfc2047(subject)}
From: =?UTF-8?Q?No=C3=A9mie_Roux?= <{sender}>
To: {COORDINATION}
Content-Type: multipart/mixed; boundary="000000000000b5e1a10620f3c2d1"

--000000000000b5e1a10620f3c2d1
Content-Type: multipart/alternative; boundary="000000000000b5e19f0620f3c2cf"

--000000000000b5e19f0620f3c2cf
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{_qp("Bonjour, voici l'extraction d'ONDE.")}
--000000000000b5e19f0620f3c2cf
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{_qp('<div dir="ltr">Bonjour, voici l&#39;extraction d&#39;ONDE.</div>')}
--000000000000b5e19f0620f3c2cf--
--000000000000b5e1a10620f3c2d1
Content-Type: {content_type}; charset="US-ASCII"; name="{_rfc2047(filename)}"
Content-Disposition: attachment; filename="{_rfc2047(filename)}"
Content-Transfer-Encoding: base64
Content-ID: <f_m0abc1230>
X-Attachment-Id: f_m0abc1230

{_b64(data)}
--000000000000b5e1a10620f3c2d1--
"""
    )


def apple_mail(
    *,
    sender: str,
    subject: str,
    data: bytes,
    filename: str,
    content_type: str = "application/zip",
    in_reply_to: str = "",
) -> bytes:
    """Apple Mail: the file shown inline between two text parts, named in RFC 2231."""
    return _crlf(
        f"""From: Sophie Tanguy <{sender}>
Content-Type: multipart/mixed;
	boundary="Apple-Mail=_5C6F2E1A-9B3D-4F8E-A7C2-1D0E9F8A7B6C"
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))
Subject: {_rfc2047(subject)}
Date: {DATE}
Message-Id: <9F3E2D1C-0B9A-4876-8E5D-4C3B2A190817@ecoles.example.org>
{_thread(in_reply_to)}To: {COORDINATION}
X-Mailer: Apple Mail (2.3774.600.62)


--Apple-Mail=_5C6F2E1A-9B3D-4F8E-A7C2-1D0E9F8A7B6C
Content-Transfer-Encoding: 7bit
Content-Type: text/plain;
	charset=us-ascii

Bonjour, voici l'export.


--Apple-Mail=_5C6F2E1A-9B3D-4F8E-A7C2-1D0E9F8A7B6C
Content-Disposition: inline;
	{_rfc2231(filename)}
Content-Type: {content_type};
	x-unix-mode=0644;
	name="{filename.encode("ascii", "replace").decode()}"
Content-Transfer-Encoding: base64

{_b64(data)}
--Apple-Mail=_5C6F2E1A-9B3D-4F8E-A7C2-1D0E9F8A7B6C
Content-Transfer-Encoding: 7bit
Content-Type: text/plain;
	charset=us-ascii


Sophie Tanguy
--Apple-Mail=_5C6F2E1A-9B3D-4F8E-A7C2-1D0E9F8A7B6C--
"""
    )


def forwarded_as_attachment(*, sender: str, original: bytes, subject: str) -> bytes:
    """Outlook's « Transférer en tant que pièce jointe »: the original mail as message/rfc822."""
    return (
        _crlf(
            f"""From: <{sender}>
To: <{COORDINATION}>
Subject: {_rfc2047(subject)}
Date: {DATE}
Message-ID: <AM9P195MB1234FWD@AM9P195MB1234.EURP195.PROD.OUTLOOK.COM>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="_002_fwd_"

--_002_fwd_
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

Je vous transfère le message de l'école.

--_002_fwd_
Content-Type: message/rfc822
Content-Disposition: attachment

"""
        )
        + original.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        + b"\r\n--_002_fwd_--\r\n"
    )


def plain_reply(*, sender: str, in_reply_to: str, subject: str, text: str) -> bytes:
    return _crlf(
        f"""From: <{sender}>
To: <{COORDINATION}>
Subject: {_rfc2047(subject)}
Date: {DATE}
Message-ID: <plain.{hashlib.sha256(text.encode()).hexdigest()[:12]}@ecoles.example.org>
{_thread(in_reply_to)}MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

{text}
"""
    )


def outlook_out_of_office(*, sender: str, in_reply_to: str, subject: str) -> bytes:
    """Exchange's automatic reply (« Réponse automatique »)."""
    return _crlf(
        f"""From: "Dupont Marie" <{sender}>
To: "Relance constat de rentrée" <relance@example.org>
Subject: {_rfc2047("Réponse automatique : " + subject)}
Thread-Topic: {_rfc2047(subject)}
Date: {DATE}
Message-ID: <PR3P195MB0712OOF1@PR3P195MB0712.EURP195.PROD.OUTLOOK.COM>
{_thread(in_reply_to)}Auto-Submitted: auto-generated
X-Auto-Response-Suppress: All
X-MS-Exchange-Inbox-Rules-Loop: {sender}
Content-Language: fr-FR
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

Je suis absente jusqu'au 21 septembre. Pour toute urgence, contactez l'école.
"""
    )


def gmail_vacation(*, sender: str, in_reply_to: str, subject: str) -> bytes:
    return _crlf(
        f"""MIME-Version: 1.0
From: <{sender}>
Date: {DATE}
Message-ID: <CAF=vacation.7n3Hc1Rvq2eZm8Xw@mail.gmail.com>
Subject: {_rfc2047("Re: " + subject)}
{_thread(in_reply_to)}Auto-Submitted: auto-replied
Precedence: bulk
To: relance@example.org
Content-Type: text/plain; charset="UTF-8"

Je suis en congé, je lirai votre message à mon retour.
"""
    )


def _original_headers(message_id: str, recipient: str) -> str:
    return (
        f"From: Relance constat de rentrée <relance@example.org>\n"
        f"To: {recipient}\n"
        f"Subject: Constat de rentrée : export Ange attendu\n"
        f"Date: Mon, 14 Sep 2026 08:00:03 +0000\n"
        f"Message-ID: {message_id}\n"
        f"Auto-Submitted: auto-generated\n"
    )


def postfix_bounce(*, recipient: str, message_id: str, delayed: bool = False) -> bytes:
    """Postfix's DSN: report > notification text, delivery-status, the returned headers."""
    action, status = ("delayed", "4.4.1") if delayed else ("failed", "5.1.1")
    said = (
        "connect to mx.ecoles.example.org[192.0.2.25]:25: Connection timed out"
        if delayed
        else f"host mx.ecoles.example.org[192.0.2.25] said: 550 5.1.1\n    <{recipient}>: "
        "Recipient address rejected: User unknown in virtual mailbox table (in\n"
        "    reply to RCPT TO command)"
    )
    subject = (
        "Delayed Mail (still being retried)" if delayed else "Undelivered Mail Returned to Sender"
    )
    intro = (
        "This is the mail system at host smtp.example.org.\n\n"
        + (
            "####################################################################\n"
            "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
            "####################################################################\n\n"
            "Your message could not be delivered for more than 4 hour(s).\n"
            "It will be retried until it is 5 day(s) old.\n"
            if delayed
            else "I'm sorry to have to inform you that your message could not\n"
            "be delivered to one or more recipients. It's attached below.\n"
        )
        + f"\n                   The mail system\n\n<{recipient}>: {said}\n"
    )
    diagnostic = (
        "Diagnostic-Code: X-Postfix; connect to mx.ecoles.example.org[192.0.2.25]:25:\n"
        "    Connection timed out\nWill-Retry-Until: Sat, 19 Sep 2026 10:00:03 +0200"
        if delayed
        else f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected:\n"
        "    User unknown in virtual mailbox table"
    )
    return _crlf(
        f"""Return-Path: <>
Delivered-To: relance@example.org
Date: Mon, 14 Sep 2026 10:00:05 +0200 (CEST)
From: MAILER-DAEMON@smtp.example.org (Mail Delivery System)
Subject: {subject}
To: relance@example.org
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="4B1A03E0C2.1726300805/smtp.example.org"
Content-Transfer-Encoding: 8bit
Message-Id: <20260914080005.{"D" if delayed else "B"}B1A03E0C2@smtp.example.org>

This is a MIME-encapsulated message.

--4B1A03E0C2.1726300805/smtp.example.org
Content-Description: Notification
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

{intro}
--4B1A03E0C2.1726300805/smtp.example.org
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; smtp.example.org
X-Postfix-Queue-ID: 4B1A03E0C2
X-Postfix-Sender: rfc822; relance@example.org
Arrival-Date: Mon, 14 Sep 2026 10:00:03 +0200 (CEST)

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.ecoles.example.org
{diagnostic}

--4B1A03E0C2.1726300805/smtp.example.org
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers
Content-Transfer-Encoding: 8bit

{_original_headers(message_id, recipient)}
--4B1A03E0C2.1726300805/smtp.example.org--
"""
    )


def exim_bounce(*, recipient: str, message_id: str) -> bytes:
    """Exim: no MIME report; X-Failed-Recipients, the diagnostic in the text, the returned
    message quoted below a marker line."""
    return _crlf(
        f"""Return-path: <>
Envelope-to: relance@example.org
Delivery-date: Mon, 14 Sep 2026 10:00:06 +0200
From: Mail Delivery System <Mailer-Daemon@mx.example.org>
To: relance@example.org
References: {message_id}
Content-Type: text/plain; charset=us-ascii
Subject: Mail delivery failed: returning message to sender
Message-Id: <E1sPq7M-0004Xy-2k@mx.example.org>
Date: Mon, 14 Sep 2026 10:00:06 +0200
X-Failed-Recipients: {recipient}
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {recipient}
    host mx.ecoles.example.org [192.0.2.25]
    SMTP error from remote mail server after RCPT TO:<{recipient}>:
    550 5.1.1 <{recipient}>: Recipient address rejected: mailbox unavailable

------ This is a copy of the message, including all the headers. ------

Return-path: <relance@example.org>
{_original_headers(message_id, recipient)}MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"

Bonjour,
"""
    )


def exchange_bounce(*, recipient: str, message_id: str) -> bytes:
    """Exchange Online's NDR in French (« Non remis »): report > alternative (text, HTML),
    delivery-status, and the returned message."""
    return _crlf(
        f"""From: postmaster@example.org
To: <relance@example.org>
Date: Mon, 14 Sep 2026 08:00:09 +0000
Content-Type: multipart/report; report-type=delivery-status;
	boundary="ea2d1b4c-8f1e-4c3a-9d2b-7e6f5a4b3c2d"
X-MS-Exchange-Message-Is-Ndr:
Content-Language: fr-FR
Message-ID: <0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b@PAXP195MB1234.EURP195.PROD.OUTLOOK.COM>
In-Reply-To: {message_id}
References: {message_id}
Thread-Topic: Constat de =?utf-8?Q?rentr=C3=A9e?=
Subject: =?utf-8?Q?Non_remis=C2=A0:_Constat_de_rentr=C3=A9e?=
Auto-Submitted: auto-replied
X-MS-Exchange-Generated-Message-Source: NDR Generator
MIME-Version: 1.0

--ea2d1b4c-8f1e-4c3a-9d2b-7e6f5a4b3c2d
Content-Type: multipart/alternative; differences=Content-Type;
	boundary="2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901"

--2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

{_qp(f"Votre message n'a pas pu être remis à {recipient} car l'adresse est introuvable ou ne peut pas recevoir de courrier.")}
--2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

{_qp(f"<html><body><p>Votre message n'a pas pu être remis à <b>{recipient}</b>.</p></body></html>")}
--2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901--

--ea2d1b4c-8f1e-4c3a-9d2b-7e6f5a4b3c2d
Content-Type: message/delivery-status

Reporting-MTA: dns;PAXP195MB1234.EURP195.PROD.OUTLOOK.COM
Received-From-MTA: dns;smtp.example.org
Arrival-Date: Mon, 14 Sep 2026 08:00:04 +0000

Original-Recipient: rfc822;{recipient}
Final-Recipient: rfc822;{recipient}
Action: failed
Status: 5.1.10
Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup

--ea2d1b4c-8f1e-4c3a-9d2b-7e6f5a4b3c2d
Content-Type: message/rfc822

{_original_headers(message_id, recipient)}MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"

Bonjour,

--ea2d1b4c-8f1e-4c3a-9d2b-7e6f5a4b3c2d--
"""
    )


def big_reply(*, sender: str, in_reply_to: str, megabytes: int) -> bytes:
    """A reply carrying a file of `megabytes` MB (a scan of a few hundred pages)."""
    return outlook_reply(
        sender=sender,
        in_reply_to=in_reply_to,
        data=b"%PDF-1.7\n" + b"\x00" * (megabytes * 1024 * 1024),
        filename="scan compte rendu.pdf",
        message_id="<big.scan.1@ecoles.example.org>",
    )
