"""The codes of the domain: UAI, INE, levels and cycles, and how names are compared."""

from __future__ import annotations

import re

from db.folding import fold as fold  # re-exported: names are compared folded

UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # no I, O, Q
_UAI_SHAPE = re.compile(r"^(\d{7})([A-Z])$")
UAI_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{7}[A-Za-z])(?![0-9A-Za-z])")


class InvalidUAI(ValueError):
    """A UAI that is not 7 digits and the right check letter; the message says why in French."""


def uai_check_letter(digits: str) -> str:
    return UAI_LETTERS[int(digits) % 23]


def normalise_uai(raw: str) -> str:
    """Strip spaces and upper-case; does not validate."""
    return "".join(str(raw).split()).upper()


def parse_uai(raw: str) -> str:
    """The normalised UAI, or InvalidUAI naming what is wrong (and the expected letter)."""
    uai = normalise_uai(raw)
    match = _UAI_SHAPE.match(uai)
    if not match:
        raise InvalidUAI(
            f"UAI invalide « {raw} » : attendu 7 chiffres suivis d'une lettre (ex. 0441234C)"
        )
    digits, letter = match.groups()
    expected = uai_check_letter(digits)
    if letter != expected:
        raise InvalidUAI(
            f"UAI invalide « {uai} » : la lettre de contrôle de {digits} est {expected}, "
            f"pas {letter} (attendu {digits}{expected})"
        )
    return uai


def is_valid_uai(raw: str) -> bool:
    try:
        parse_uai(raw)
    except InvalidUAI:
        return False
    return True


def find_uais(text: str) -> list[str]:
    """Every valid UAI written in a text (a file name, a folder name), in order, without repeats."""
    found: list[str] = []
    for candidate in UAI_IN_TEXT.findall(text):
        uai = candidate.upper()
        if is_valid_uai(uai) and uai not in found:
            found.append(uai)
    return found


# ---- INE ------------------------------------------------------------------------------------

INE_SHAPES = (
    re.compile(r"^\d{9}[A-Z]{2}$"),  # RNIE, since 2018
    re.compile(r"^\d{10}[A-Z]$"),  # BEA
    re.compile(r"^[0-9A-Z]{10}\d$"),  # base 36
    re.compile(r"^\d{4}A\d{5}[A-Z]$"),  # apprentissage
    re.compile(r"^\d{4}D\d{5}[A-Z]$"),  # provisoire
)


def normalise_ine(raw: str | None) -> str | None:
    """Upper-cased INE without spaces; None for an empty cell (= waiting for an INE)."""
    if raw is None:
        return None
    value = "".join(str(raw).split()).upper()
    return value or None


def is_valid_ine(raw: str | None) -> bool:
    """True for one of the known INE shapes. Never checks a key (the keys are not public)."""
    value = normalise_ine(raw)
    return value is not None and any(shape.match(value) for shape in INE_SHAPES)


# ---- levels and cycles ----------------------------------------------------------------------

LEVELS = ("TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2")
CYCLE_OF_LEVEL = {
    "TPS": 1,
    "PS": 1,
    "MS": 1,
    "GS": 1,
    "CP": 2,
    "CE1": 2,
    "CE2": 2,
    "CM1": 3,
    "CM2": 3,
}
# The age a pupil of each level turns in the calendar year of the rentrée.
LEVEL_AGE = {"TPS": 2, "PS": 3, "MS": 4, "GS": 5, "CP": 6, "CE1": 7, "CE2": 8, "CM1": 9, "CM2": 10}
CYCLE_NAMES = {1: "CYCLE I", 2: "CYCLE II", 3: "CYCLE III"}
_CYCLE_NUMBERS = {"I": 1, "II": 2, "III": 3, "1": 1, "2": 2, "3": 3}


def normalise_level(raw: str | None) -> str | None:
    """A level as ONDE writes it (`CE1`), from `ce1`, `C.E.1`, `CE 1`; None if unknown."""
    if not raw:
        return None
    value = re.sub(r"[^0-9A-Z]", "", fold(raw).upper())
    return value if value in CYCLE_OF_LEVEL else None


def cycle_of(level: str) -> str:
    return CYCLE_NAMES[CYCLE_OF_LEVEL[level]]


def normalise_cycle(raw: str | None) -> str | None:
    """`CYCLE II` from `cycle 2`, ` Cycle II`, `C2`; None if unknown."""
    if not raw:
        return None
    value = re.sub(r"\s+", " ", fold(raw).upper()).strip()
    match = re.fullmatch(r"(?:CYCLE|C)\s*(III|II|I|[123])", value)
    return CYCLE_NAMES[_CYCLE_NUMBERS[match.group(1)]] if match else None


def split_levels(raw: str) -> list[str]:
    """`CP,CE1` / `CP-CE1` / `CP / CE1` → ['CP', 'CE1'] (unknown parts dropped)."""
    parts = re.split(r"[,;/+\-\s]+", raw or "")
    levels = [normalise_level(p) for p in parts]
    return [lv for lv in levels if lv]


# ---- comparing people's names -----------------------------------------------------------------


def name_key(text: str) -> str:
    """Accent-, case-, whitespace- and apostrophe-insensitive form of a name."""
    text = fold(text).replace("’", "'").replace("‘", "'").casefold()
    return " ".join(re.sub(r"\s*([-'])\s*", r"\1", text).split())


def pupil_key(last_name: str, first_name: str, birth_date: str | None) -> str:
    """The key pupils are matched on across documents: (last name, first name, birth date)."""
    return f"{name_key(last_name)}|{name_key(first_name)}|{birth_date or ''}"


# ---- addresses ---------------------------------------------------------------------------------
# One address, nothing else: no space, line break, comma or semicolon (a list, or a header
# smuggled into a mail), no angle brackets (a display name).
EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")


def is_email_address(text: str) -> bool:
    return len(text) <= 254 and EMAIL.fullmatch(text) is not None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(text: object, limit: int | None = None) -> str:
    """Text safe to store and show: control characters (NUL…) removed, optionally cut."""
    value = _CONTROL.sub("", str(text or ""))
    return value[:limit] if limit is not None else value
