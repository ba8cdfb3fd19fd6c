"""Text to index terms, for English, Persian and Arabic: the one chain that indexing,
queries, highlighting and snippets share.

How the parts connect:

* `tokens` splits text into words with their offsets in the original text. Text with no
  Arabic-script character is split exactly as before (`english.WORD`); text with some is
  split by `tokens.WORD_ANY`, which keeps Arabic diacritics inside a word and treats a
  zero-width non-joiner as a space, so `می‌شود` and `می شود` are the same two words.
* Each word then becomes a term, decided by the word alone (a query's language is not
  known): a word without Arabic-script characters goes through `english` (lower case,
  Snowball's English stop words, words shorter than 2 dropped, Snowball's English
  stemmer); a word with some goes through `normalize` (NFKC, one form for letters
  written several ways, no diacritics or tatweel, ASCII digits, lower case), then
  `stopwords` (Persian and Arabic), then a stemmer from `stemming`.
* `tokens.Chain` runs the whole chain with a cache of words seen; `terms` and
  `term_positions` use the default one.
* `language.detect_language` tells English, Persian and Arabic stories apart.

Nothing here knows Whoosh's index, fields or tokens (`english` reads Snowball's stop
list as Whoosh ships it); `engine.fields` wraps the chain for Whoosh.
"""

from newssearch.analysis.language import detect_language
from newssearch.analysis.normalize import is_arabic_script, normalize
from newssearch.analysis.tokens import (
    DEFAULT_STEMMER,
    Chain,
    Term,
    fold,
    stem,
    term_counts,
    term_of,
    term_positions,
    terms,
    tokenize,
)

__all__ = [
    "DEFAULT_STEMMER",
    "Chain",
    "Term",
    "detect_language",
    "fold",
    "is_arabic_script",
    "normalize",
    "stem",
    "term_counts",
    "term_of",
    "term_positions",
    "terms",
    "tokenize",
]
