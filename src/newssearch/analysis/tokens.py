"""Words with their offsets, and the terms the index holds for them.

`tokenize` cuts text into words; `Chain` turns each word into a term (see the package
docstring) and numbers the kept terms as Whoosh's `StemmingAnalyzer` numbers them: the
first kept word keeps its place in the word sequence, and each later kept word comes one
after the kept word before it (a dropped word leaves no gap).

Text without an Arabic-script character is cut by `english.WORD`, exactly as before,
and every English term is unchanged. Text with one is cut by `WORD_ANY`, which differs
only in what belongs to a word: Arabic combining marks and the Arabic decimal sign are
inside words (Whoosh's pattern cut `الْمُفَاوَضَات` into three), while a zero-width
non-joiner, like a space, separates words in both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

from newssearch.analysis import stemming
from newssearch.analysis.english import MIN_WORD, WORD, english_term, english_word
from newssearch.analysis.english import stem as english_stem
from newssearch.analysis.normalize import ARABIC_SCRIPT, MARKS, fold_table, normalize
from newssearch.analysis.stopwords import ARABIC_SCRIPT_STOP_WORDS

_INSIDE = rf"[\w\*{MARKS}]+"
WORD_ANY = re.compile(rf"{_INSIDE}(?:[.\u066b]?{_INSIDE})*")
"""The tokenizer pattern for text that holds Arabic script."""
DEFAULT_STEMMER = "light"
"""The stemmer of Arabic-script words (chosen with bench/known_item.py)."""
CACHE_LIMIT = 200_000
"""Words remembered with their terms; the cache starts again when full."""

_ARABIC = re.compile(f"[{ARABIC_SCRIPT}]")
_ARABIC_LETTER = re.compile(r"[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\u0750-\u077f]")


class Term(NamedTuple):
    """One kept word: its position, its term, and where it stands in the text."""

    pos: int
    text: str
    start: int
    end: int


def _pattern(text: str) -> re.Pattern[str]:
    return WORD if text.isascii() or _ARABIC.search(text) is None else WORD_ANY


def tokenize(text: str) -> Iterator[tuple[str, int, int]]:
    """Every word of `text` with its start and end offsets, dropped words included.

    >>> [w for w, _, _ in tokenize("می‌شود، U.S. oil")]
    ['می', 'شود', 'U.S', 'oil']
    """
    for m in _pattern(text).finditer(text):
        yield m.group(), m.start(), m.end()


class Chain:
    """Words to terms, with a cache of the words seen.

    stemmer: the stemmer of Arabic-script words, one of `stemming.STEMMERS`.
    teh_marbuta: whether ة is folded to ه (for measurement; the default is the index's).
    """

    def __init__(self, stemmer: str = DEFAULT_STEMMER, *, teh_marbuta: bool = True) -> None:
        self.stemmer = stemmer
        self.teh_marbuta = teh_marbuta
        self._stem: Callable[[str], str] = stemming.stemmer(stemmer)
        self._fold = fold_table(teh_marbuta=teh_marbuta)
        self._cache: dict[str, str] = {}

    def __getstate__(self) -> dict[str, object]:
        # Whoosh pickles a schema's analyzers: keep the settings, not the stemmer or cache.
        return {"stemmer": self.stemmer, "teh_marbuta": self.teh_marbuta}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(str(state["stemmer"]), teh_marbuta=bool(state["teh_marbuta"]))  # type: ignore[misc]

    def _miss(self, word: str) -> str:
        if _ARABIC.search(word) is None:
            result = english_term(word)
        else:
            norm = normalize(word, self._fold)
            if _ARABIC_LETTER.search(norm) is None:  # digits, or marks on Latin letters
                result = english_term(norm)
            elif len(norm) < MIN_WORD or norm in ARABIC_SCRIPT_STOP_WORDS:
                result = ""
            else:
                result = self._stem(norm)
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        self._cache[word] = result
        return result

    def term_of(self, word: str) -> str:
        """The term of one word as `tokenize` cuts it; "" for a dropped word."""
        found = self._cache.get(word)
        return self._miss(word) if found is None else found

    def word_of(self, word: str) -> str:
        """One word as `tokenize` cuts it, normalised but not stemmed (what spelling
        suggestions offer); "" for a dropped word."""
        if _ARABIC.search(word) is None:
            return english_word(word)
        norm = normalize(word, self._fold)
        if _ARABIC_LETTER.search(norm) is None:
            return english_word(norm)
        return "" if len(norm) < MIN_WORD or norm in ARABIC_SCRIPT_STOP_WORDS else norm

    def fold(self, text: str) -> str:
        """Text in the form the chain gives words before stemming, whole (no word cut,
        nothing dropped): lower case, and Arabic-script letters `normalize`d. For the
        text of a wildcard, which must meet the index's words letter for letter."""
        if _ARABIC.search(text) is None:
            return text.lower()
        return normalize(text, self._fold)

    def stem(self, word: str) -> str:
        """A folded word's stem, even a stop word's (for the literal start of a wildcard)."""
        if _ARABIC_LETTER.search(word) is None:
            return english_stem(word)
        return self._stem(word)

    def term_counts(self, text: str) -> dict[str, int]:
        """How often each term of `text` is in it (the counts `term_positions` gives)."""
        cache = self._cache
        miss = self._miss
        counts: dict[str, int] = {}
        pattern = WORD if text.isascii() or _ARABIC.search(text) is None else WORD_ANY
        for word in pattern.findall(text):
            term = cache.get(word)
            if term is None:
                term = miss(word)
            if term:
                counts[term] = counts.get(term, 0) + 1
        return counts

    def term_positions(self, text: str) -> dict[str, list[int]]:
        """Each term of `text` with its positions (the index-time fast path).

        >>> Chain().term_positions("Oil prices rose; the oil price fell")
        {'oil': [0, 3], 'price': [1, 4], 'rose': [2], 'fell': [5]}
        """
        cache = self._cache
        miss = self._miss
        positions: dict[str, list[int]] = {}
        pos = -1
        # `_pattern` inlined: one call fewer per field is measurable on English text.
        pattern = WORD if text.isascii() or _ARABIC.search(text) is None else WORD_ANY
        for i, word in enumerate(pattern.findall(text)):
            term = cache.get(word)
            if term is None:
                term = miss(word)
            if not term:  # a stop word or a short one
                continue
            pos = i if pos < 0 else pos + 1
            found = positions.get(term)
            if found is None:
                positions[term] = [pos]
            else:
                found.append(pos)
        return positions

    def terms(self, text: str, *, stemmed: bool = True) -> list[Term]:
        """Each kept word of `text` as a `Term`, in text order (for queries, highlighting
        and snippets: the offsets are those of the original text); with `stemmed` off,
        each word normalised but not stemmed (`word_of`).

        >>> [(t.pos, t.start, t.end) for t in Chain().terms("الْمُفَاوَضَات في الدوحة")]
        [(0, 0, 14), (1, 18, 24)]
        """
        kept: list[Term] = []
        pos = -1
        of = self.term_of if stemmed else self.word_of
        for i, m in enumerate(_pattern(text).finditer(text)):
            term = of(m.group())
            if term:
                pos = i if pos < 0 else pos + 1
                kept.append(Term(pos, term, m.start(), m.end()))
        return kept


_DEFAULT = Chain()
# Bound methods, not wrappers: the index-time path calls these once a field, and a
# wrapper's extra call is measurable there.
term_positions = _DEFAULT.term_positions
term_counts = _DEFAULT.term_counts
fold = _DEFAULT.fold
stem = _DEFAULT.stem
terms = _DEFAULT.terms
term_of = _DEFAULT.term_of
