"""Which kinds of file may be dropped, told from the name's ending (and, on the pages, the first
bytes): a compte rendu (PDF, text, saved web page), an ONDE extraction (CSV) or an export
archive (`<UAI>.zip`). A word document or a spreadsheet is refused for what it is — « type de
fichier non accepté » — wherever it arrives, instead of being read as a report or an archive.
"""

from __future__ import annotations

from pathlib import Path

# The name's ending, and the first bytes a file so named must have (none: any text).
ACCEPTED: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF",),
    ".zip": (b"PK\x03\x04",),
    ".csv": (),
    ".txt": (),
    ".htm": (),
    ".html": (),
}
# Photos and scans of a compte rendu: left to the readers, which say what they can read of them.
PICTURES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")
NOT_ACCEPTED = (
    "type de fichier non accepté (PDF, texte, CSV, page web enregistrée ou archive .zip attendu)"
)


def suffix_refusal(filename: str) -> str:
    """'' when a file so named may be read, else why not. A name without an ending is read
    (its content tells its kind), as are pictures (the readers answer for them)."""
    suffix = Path(filename).suffix.lower()
    if not suffix or suffix in ACCEPTED or suffix in PICTURES:
        return ""
    return f"{NOT_ACCEPTED} : « {suffix} » reçu"


def upload_refusal(filename: str, head: bytes) -> str:
    """The pages' stricter check, before anything is kept: '' when the file may be dropped,
    else why not (the ending must be known and the first bytes must match it)."""
    suffix = Path(filename).suffix.lower()
    if suffix not in ACCEPTED:
        return NOT_ACCEPTED
    magics = ACCEPTED[suffix]
    if magics and not any(head.startswith(m) for m in magics):
        return f"le contenu du fichier ne correspond pas à son extension {suffix}"
    if not magics and (head.startswith(b"PK\x03\x04") or head.startswith(b"%PDF")):
        return f"le contenu du fichier ne correspond pas à son extension {suffix}"
    if not magics and b"\x00" in head[:2048] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "ce fichier n'est pas un texte lisible"
    return ""
