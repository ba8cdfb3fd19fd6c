"""Stemmers for normalized Arabic-script words, one chain for Persian and Arabic.

A query does not say its language, so the stem of a word must follow from the word
alone. Each stemmer here takes a word in `normalize`'s form and returns a stem in that
form; `STEMMERS` names them for `tokens.Chain` and for bench/known_item.py, which
measured them. On headline words respelled, all find 99.5-100% of the stories in the top
10; where the words must be found in the body alone (1,000 Arabic stories), `light`
found 74.5% in the top 10 (MRR 0.521), `snowball-arabic` 73.3% (0.506), `none` 72.0%
(0.508) and `snowball-persian` 71.2% (0.499); the Persian sample is too small to tell
them apart (93.5-94.8%). So `light` is the default.

* `none`: the normalized word;
* `light`: this module's own light stemmer: the Arabic article and the prepositions
  fused with it (`ال`, `وال`, `بال`, `کال`, `فال`, `لل`), then one plural or
  adjective ending of either language (`ها`, `های`, `هایی`, `ات`, `ان`, `ون`, `ین`, `یه`,
  `ترین`), keeping at least three letters;
* `snowball-arabic`, `snowball-persian`: the Snowball stemmers of PyStemmer, given each
  word in the letter forms they expect.
"""

from __future__ import annotations

from collections.abc import Callable

_PREFIXES = ("وال", "بال", "کال", "فال", "لل", "ال")
_SUFFIXES = ("هایی", "ترین", "های", "ها", "ات", "ان", "ون", "ین", "یه")
_MIN_STEM = 3


def light_stem(word: str) -> str:
    """Strip the Arabic article (with a fused preposition) and one plural or adjective
    ending, keeping at least three letters.

    >>> light_stem("المفاوضات") == "مفاوض", light_stem("کتابهای") == "کتاب"
    (True, True)
    >>> light_stem("ایران") == "ایر"  # the price of stripping `ان` blindly
    True
    """
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= _MIN_STEM:
            word = word[len(prefix) :]
            break
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            return word[: -len(suffix)]
    return word


_TO_ARABIC = str.maketrans("یک", "يك")
_FROM_ARABIC = str.maketrans("يكة", "یکه")


def _snowball(algorithm: str, letters: dict[int, int] | None) -> Callable[[str], str]:
    import Stemmer  # a C extension; loaded only when a story or query needs it

    stem_word = Stemmer.Stemmer(algorithm).stemWord

    def stem(word: str) -> str:
        if letters is not None:
            word = word.translate(letters)
        return str(stem_word(word)).translate(_FROM_ARABIC)

    return stem


def stemmer(name: str) -> Callable[[str], str]:
    """The stemmer called `name` (one of `STEMMERS`)."""
    if name == "none":
        return str
    if name == "light":
        return light_stem
    if name == "snowball-arabic":
        return _snowball("arabic", _TO_ARABIC)
    if name == "snowball-persian":
        return _snowball("persian", None)
    raise ValueError(f"no stemmer {name!r}; the stemmers are {', '.join(STEMMERS)}")


STEMMERS = ("none", "light", "snowball-arabic", "snowball-persian")
