"""`db.folding.fold`: accents stripped for comparisons."""

from __future__ import annotations

import random

from db.folding import _fold_each, fold


def test_fold_strips_accents_and_ligatures() -> None:
    assert fold("Élève Cœur ÆSOP façade") == "Eleve Coeur AESOP facade"
    assert fold("N’GUYEN-LEFÈVRE") == "N’GUYEN-LEFEVRE"
    assert fold("plain") == "plain"


def test_the_table_folds_as_the_whole_text_does() -> None:
    """Each character folded through the table gives what NFKD over the whole text gives,
    also for mixed scripts, combining marks and compatibility forms."""
    for code in range(0x80, 0x3100):
        char = chr(code)
        assert fold(char) == _fold_each(char), hex(code)
    rng = random.Random(16)
    alphabet = "aeÉéèêëàçœÆﬁ①ｆe\u0301\u0327\u2019 Øøßİıǅ한字"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        assert fold(text) == _fold_each(text), text
