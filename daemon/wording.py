"""French words for people, said one way everywhere: counted nouns and shares.

`plural(2, "rejet")` is « 2 rejets », `plural(0, "rejet")` « 0 rejet » (in French 0 and 1 take
the singular); a phrase whose plural is not the singular plus « s » on its last word gives its
plural form: `plural(n, "élève sans INE", "élèves sans INE")`. Pages, mails and the command
line all use these (never a plural in brackets).
"""

from __future__ import annotations

_INVARIABLE_ENDINGS = ("s", "x", "z")


def agree(count: int, singular: str, plural_form: str | None = None) -> str:
    """The word or phrase that goes with `count`: singular for 0 and 1, else the plural."""
    if -2 < count < 2:
        return singular
    if plural_form is not None:
        return plural_form
    if singular.endswith(_INVARIABLE_ENDINGS):
        return singular
    return singular + "s"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """« 1 rejet », « 2 rejets », « 12 élèves sans INE »."""
    return f"{count} {agree(count, singular, plural_form)}"


def percent(part: int, whole: int) -> str:
    """A share rounded to the unit, French style; never « 0 % » for some nor « 100 % » for
    not all: « < 1 % », « > 99 % ». « — » when there is nothing to divide."""
    if whole <= 0:
        return "—"
    share = 100 * part / whole
    if 0 < share < 1:
        return "< 1 %"
    if 99 < share < 100:
        return "> 99 %"
    return f"{share:.0f} %"


def joined(items: list[str]) -> str:
    """« a », « a et b », « a, b et c »."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} et {items[-1]}"


__all__ = ["agree", "joined", "percent", "plural"]


_SCHOOL_WORDS = ("école", "ecole", "ÉCOLE", "ECOLE", "Ecole", "École")


def school_named(name: str) -> tuple[str, str]:
    """« L'école » and what follows it, without saying « école » twice: `Ecole primaire
    Saint-Joseph` gives (« L'école », « primaire Saint-Joseph »), `Saint-Joseph` gives
    (« L'école », « Saint-Joseph »)."""
    first, _space, rest = name.strip().partition(" ")
    if first in _SCHOOL_WORDS and rest:
        return "L'école", rest
    return "L'école", name.strip()
