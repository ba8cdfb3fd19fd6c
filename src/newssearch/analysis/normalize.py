"""One spelling for Arabic-script words, applied alike to stories and queries.

Persian and Arabic write many words several legitimate ways; `normalize` gives each word
one form:

* NFKC (presentation forms and ligatures become plain letters);
* Arabic yeh and alef maksura (ي ى) become Persian yeh (ی), Arabic kaf (ك ڪ) keheh (ک);
* hamza carriers: alef with hamza or madda (أ إ آ ٱ) become alef (ا), yeh with hamza
  (ئ) yeh, waw with hamza (ؤ) waw -- so `مسائل`/`مسایل` and `مؤسسه`/`موسسه` meet;
* teh marbuta (ة) and the heh variants (ۀ, ae, heh doachashmee, heh goal) become heh
  (ه);
* diacritics (harakat, shadda, sukun, superscript alef, Quranic marks) and tatweel go;
* Persian and Arabic-Indic digits become ASCII, the Arabic decimal sign a dot;
* lower case (for Latin letters inside such a word).
"""

from __future__ import annotations

import re
import unicodedata

ARABIC_SCRIPT = "\u0600-\u06ff\u0750-\u077f\u0870-\u089f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
"""The Unicode blocks of the Arabic script, as a character-class body."""
MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u08d3-\u08ff"
"""Arabic combining marks (diacritics), as a character-class body."""

_ARABIC = re.compile(f"[{ARABIC_SCRIPT}]")

_FOLD: dict[int, str | None] = {
    ord(a): b
    for a, b in {
        "\u064a": "\u06cc",  # ي -> ی
        "\u0649": "\u06cc",  # ى -> ی
        "\u0626": "\u06cc",  # ئ -> ی
        "\u0643": "\u06a9",  # ك -> ک
        "\u06aa": "\u06a9",  # ڪ -> ک
        "\u0623": "\u0627",  # أ -> ا
        "\u0625": "\u0627",  # إ -> ا
        "\u0622": "\u0627",  # آ -> ا
        "\u0671": "\u0627",  # ٱ -> ا
        "\u0672": "\u0627",
        "\u0673": "\u0627",
        "\u0624": "\u0648",  # ؤ -> و
        "\u0629": "\u0647",  # ة -> ه
        "\u06c0": "\u0647",  # ۀ -> ه
        "\u06d5": "\u0647",  # ae -> ه
        "\u06be": "\u0647",  # ھ -> ه
        "\u06c1": "\u0647",  # ہ -> ه
        "\u066b": ".",  # Arabic decimal separator
        "\u0640": None,  # tatweel
    }.items()
}
_FOLD.update({cp: None for cp in range(0x0610, 0x061B)})
_FOLD.update({cp: None for cp in range(0x064B, 0x0660)})
_FOLD.update({0x0670: None})
_FOLD.update({cp: None for cp in [*range(0x06D6, 0x06DD), *range(0x06DF, 0x06E9)]})
_FOLD.update({cp: None for cp in [*range(0x06EA, 0x06EE), *range(0x08D3, 0x0900)]})
_FOLD.update({0x06F0 + n: str(n) for n in range(10)})
_FOLD.update({0x0660 + n: str(n) for n in range(10)})


def is_arabic_script(text: str) -> bool:
    """Whether `text` holds a character of the Arabic script (letters, marks, digits).

    >>> is_arabic_script("Tehran تهران"), is_arabic_script("Tehran")
    (True, False)
    """
    return _ARABIC.search(text) is not None


def normalize(word: str, fold: dict[int, str | None] = _FOLD) -> str:
    """The one form of an Arabic-script word (see the module docstring).

    word: one word, as `tokens.tokenize` cuts it.
    fold: the letter folding (`fold_table()`, the default, unless measuring another).

    >>> normalize("الْمُفَاوَضَات") == normalize("المفاوضات") == "المفاوضات"
    True
    >>> normalize("كتابي") == "کتابی", normalize("أحمد") == "احمد", normalize("۱۴۰۳")
    (True, True, '1403')
    """
    return unicodedata.normalize("NFKC", word).translate(fold).lower()


def fold_table(*, teh_marbuta: bool = True) -> dict[int, str | None]:
    """The letter folding `normalize` uses; `teh_marbuta=False` keeps ة apart from ه
    (bench/known_item.py measures both: folding finds more, and costs no precision
    there)."""
    table = dict(_FOLD)
    if not teh_marbuta:
        del table[0x0629]
    return table
