"""Snippets: the passages of a story's body where the query's words are.

Whoosh's highlighter runs the whole analyzer chain over the body of every hit, a token
object per word through five generators, which took most of a search's time. This does
the same job with the indexing fast path: one regular-expression pass, a cached stem per
word, and the best passages chosen from the matched words alone:

* a passage holds matches no more than `PASSAGE_CHARS` apart, with up to `SURROUND`
  characters of context either side, cut at spaces and paragraph ends;
* passages with more different query words win, then those with more matches, then
  the earlier ones; the best `PASSAGES` are shown in text order, joined by " … ";
* like Whoosh's fragmenters, only the first `SCAN_CHARS` characters are searched;
* a body with no match gives its opening instead.

The matched words of English text are found without stemming every word of the body:
Snowball's English stemmer keeps a word's start and changes at most its last two
letters, so a word whose stem is `s` starts (lower-cased) with `s` less its last two
letters (its first letter for a short stem). Only the words that start at such a place
are stemmed; a test holds this to stemming every word. Text holding Arabic script has
every word's term made (its stemmer takes letters off the front as well).
"""

from __future__ import annotations

import re

from newssearch import analysis
from newssearch.analysis.english import WORD

SNIPPET_CHARS = 160
"""Longest opening shown when no word matched."""
PASSAGE_CHARS = 80
SURROUND = 30
PASSAGES = 2
SCAN_CHARS = 32_768
_SEPARATOR = " … "
_SPACES = str.maketrans("\t\n\r\f\v", "     ")

Spans = tuple[tuple[int, int], ...]


def lead(body: str) -> str:
    """The opening of `body`, at most `SNIPPET_CHARS` long, cut at a space."""
    text = " ".join(body[: SNIPPET_CHARS * 4].split())
    if len(text) <= SNIPPET_CHARS:
        return text
    return text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"


def snippet(body: str, words: frozenset[str] | set[str]) -> tuple[str, Spans]:
    """The passages of `body` holding the stems `words`, and where each matched word
    is in the returned text; the opening and no spans when nothing matches."""
    scanned = body[:SCAN_CHARS]
    matches = word_matches(scanned, words)
    if not matches:
        return lead(body), ()
    ranked = []
    for first, (start, _, stem) in enumerate(matches):
        last = first
        found = {stem}
        while last + 1 < len(matches) and matches[last + 1][1] - start <= PASSAGE_CHARS:
            last += 1
            found.add(matches[last][2])
        ranked.append((-len(found), -(last - first + 1), start, first, last))
    ranked.sort()
    chosen: list[tuple[int, int]] = []
    for _, _, _, first, last in ranked:
        if all(last < a or first > b for a, b in chosen):
            chosen.append((first, last))
            if len(chosen) == PASSAGES:
                break
    flat = scanned.translate(_SPACES)
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    at = 0
    for first, last in sorted(chosen):
        begin = _cut_before(scanned, matches[first][0])
        end = _cut_after(scanned, matches[last][1])
        while flat[begin] == " ":
            begin += 1
        while flat[end - 1] == " ":
            end -= 1
        if parts:
            at += len(_SEPARATOR)
        spans += [(at + a - begin, at + b - begin) for a, b, _ in matches[first : last + 1]]
        parts.append(flat[begin:end])
        at += end - begin
    return _SEPARATOR.join(parts), tuple(spans)


_WORD_CHAR = re.compile(r"[\w\*]")
"""A character `WORD` makes words of; a "." joins two words into one."""
CHANGED_LETTERS = 2
"""How many last letters of a word stemming may change."""


def word_matches(text: str, words: frozenset[str] | set[str]) -> list[tuple[int, int, str]]:
    """Each word of `text` whose term is one of `words`: its start, end and term."""
    lowered = text.lower()
    if len(lowered) != len(text) or analysis.is_arabic_script(text):
        # lower case moved the offsets, or the words are not English (Arabic-script
        # stemming takes letters off the front too): make the term of every word
        return [(t.start, t.end, t.text) for t in analysis.terms(text) if t.text in words]
    seen: set[int] = set()
    matches = []
    for prefix in {w[: max(1, len(w) - CHANGED_LETTERS)] for w in words if w}:
        at = lowered.find(prefix)
        while at >= 0:
            if at not in seen and _starts_word(text, at):
                seen.add(at)
                m = WORD.match(text, at)
                if m is not None and (stem := analysis.term_of(m.group())) in words:
                    matches.append((at, m.end(), stem))
            at = lowered.find(prefix, at + 1)
    matches.sort()
    return matches


def _starts_word(text: str, at: int) -> bool:
    """Whether a word of `text`, as `WORD` finds them from the start, starts at `at`."""
    if at == 0:
        return True
    before = text[at - 1]
    if _WORD_CHAR.match(before):
        return False
    return not (before == "." and at >= 2 and _WORD_CHAR.match(text[at - 2]))


def _cut_before(text: str, start: int) -> int:
    """Where a passage starts: up to SURROUND characters before `start`, after a space,
    never before the start of `start`'s paragraph."""
    window = max(0, start - SURROUND)
    paragraph = text.rfind("\n", window, start)
    if paragraph >= 0:
        return paragraph + 1
    if window == 0:
        return 0
    space = text.find(" ", window, start)
    return start if space < 0 else space + 1


def _cut_after(text: str, end: int) -> int:
    """Where a passage ends: up to SURROUND characters after `end`, before a space,
    never past the end of `end`'s paragraph."""
    window = min(len(text), end + SURROUND)
    paragraph = text.find("\n", end, window)
    if paragraph >= 0:
        return paragraph
    if window == len(text):
        return window
    space = text.rfind(" ", end, window)
    return end if space < 0 else space
