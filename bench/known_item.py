"""Known-item search in Persian and Arabic: is a story found from a few words of its
headline, spelled another legitimate way?

    .venv/bin/python bench/known_item.py [--stories N] [--seed S] [--json FILE]

For `--stories` stories of each sample corpus (fixed seed; only stories whose headline no
other story shares), the query is 3-6 consecutive words of the headline, respelled by
this script the ways Persian and Arabic writers differ: Arabic and Persian yeh and kaf
swapped, a zero-width non-joiner written as a space (and a space before `ها`/`های` or
after `می` as a non-joiner), diacritics added, tatweel added, hamza on alef added or
dropped, teh marbuta and heh swapped, digits in the other system. Each system indexes
the whole corpus (headline and body) and answers every query; reported are the share of
stories found in the top 10 and the mean reciprocal rank (MRR@10), for the respelled
queries and for the headline words as written, and for the respelled queries against
the body alone (the headline left out: there the body's other forms of the words must be
matched, which is what stemming is for).

Systems, all in this one run:

* naive Whoosh: `StemmingAnalyzer`, the default query parser over headline and body
  (words ANDed, as its tutorial uses it), and the same with words ORed;
* newssearch itself: the corpus's files indexed by `index_stories` (its stories/s is
  reported beside the others' indexing time) and searched by `NewsIndex.search`; body
  only is `body:` on each word, the stories with every word first, then any word;
* prototypes: whoosh-reloaded with an analyzer made from `newssearch.analysis` (an
  adapter in this script only), ranked as newssearch ranks (BM25F B 0.2, K1 1.6, headline
  x1.25, stories with every word first), one per Arabic-script stemmer; `+exact` also
  indexes each word's unstemmed form in a second field that counts `EXACT_BOOST` times;
  `ة kept` does not fold teh marbuta into heh.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing.util
import random
import re
import shutil
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import analysis as wa
from whoosh import fields, qparser, scoring
from whoosh import query as wq
from whoosh.filedb.filestore import RamStorage

from newssearch import NewsIndex, NewsSearchError, index_stories
from newssearch.analysis import Chain
from newssearch.models import Story
from newssearch.stories.parse import parse_story

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
CORPORA = {
    "fa": "persian-fars-stories.tar.gz",
    "ar": "arabic-saudinewsnet-stories.tar.gz",
}
TOP = 10
EXACT_BOOST = 2.0
HEADLINE_BOOST = 1.25

# ---------------------------------------------------------------- respelling


HARAKAT = "\u064e\u064f\u0650\u0651\u0652\u064b"
ZWNJ = "\u200c"
_LETTER = re.compile(r"[\u0621-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc]")
_JOINING = re.compile(
    r"[\u0628-\u062e\u0633-\u063a\u0641-\u0647\u064a\u067e\u0686\u06a9\u06af\u06cc]"
)
_NATIVE_DIGITS = {"fa": "۰۱۲۳۴۵۶۷۸۹", "ar": "٠١٢٣٤٥٦٧٨٩"}
_PUNCTUATION = re.compile(r"[^\w\u200c\u064b-\u0652]+")


_SWAP = str.maketrans("یيکك", "يیكک")


def _swap_letters(word: str, rng: random.Random) -> str:
    return word.translate(_SWAP)


def _diacritics(word: str, rng: random.Random) -> str:
    spots = [i for i, c in enumerate(word) if _LETTER.match(c)]
    for i in sorted(rng.sample(spots, min(len(spots), rng.randint(1, 3))), reverse=True):
        word = word[: i + 1] + rng.choice(HARAKAT) + word[i + 1 :]
    return word


def _tatweel(word: str, rng: random.Random) -> str:
    spots = [i for i, c in enumerate(word[:-1]) if _JOINING.match(c) and i > 0]
    if not spots:
        return word
    i = rng.choice(spots)
    return word[: i + 1] + "\u0640" + word[i + 1 :]


def _hamza(word: str, rng: random.Random) -> str:
    if word[:1] in "أإآ":
        return "ا" + word[1:]
    if word.startswith("ال") and word[2:3] in "أإ":
        return word[:2] + "ا" + word[3:]
    if word[:1] == "ا" and len(word) > 2:
        return rng.choice("أإ") + word[1:]
    return word


def _teh(word: str, rng: random.Random) -> str:
    if word.endswith("ة"):
        return word[:-1] + "ه"
    if word.endswith("ه") and len(word) > 2:
        return word[:-1] + "ة"
    return word


def _digits(word: str, rng: random.Random, lang: str) -> str:
    native = _NATIVE_DIGITS[lang]
    to_native = str.maketrans("0123456789", native)
    to_ascii = str.maketrans(native, "0123456789")
    return (
        word.translate(to_ascii) if word.translate(to_ascii) != word else word.translate(to_native)
    )


def _zwnj(word: str, rng: random.Random) -> str:
    return word.replace(ZWNJ, " ")


WORD_VARIANTS: dict[str, Callable[[str, random.Random], str]] = {
    "letter forms": _swap_letters,
    "ZWNJ as space": _zwnj,
    "diacritics": _diacritics,
    "tatweel": _tatweel,
    "hamza": _hamza,
    "teh marbuta": _teh,
}


def respell(words: list[str], lang: str, rng: random.Random) -> tuple[str, list[str]]:
    """The query written another legitimate way, and the variants applied. Every query
    gets at least one variant that changes it."""

    def digits(word: str, rng: random.Random) -> str:
        return _digits(word, rng, lang)

    variants = {**WORD_VARIANTS, "digits": digits}
    out = list(words)
    used: set[str] = set()

    def apply(i: int, name: str) -> bool:
        changed = variants[name](out[i], rng)
        if changed != out[i]:
            out[i] = changed
            used.add(name)
            return True
        return False

    for i in range(len(out)):
        for name in variants:
            if rng.random() < 0.4:
                apply(i, name)
    # A space where a non-joiner could be, written as a non-joiner.
    for i in range(len(out) - 1, 0, -1):
        if (out[i] in ("ها", "های", "هایی") or out[i - 1] in ("می", "نمی")) and rng.random() < 0.5:
            out[i - 1 : i + 1] = [out[i - 1] + ZWNJ + out[i]]
            used.add("space as ZWNJ")
    if not used:
        candidates = [(i, n) for i in range(len(out)) for n in variants]
        rng.shuffle(candidates)
        for i, name in candidates:
            if apply(i, name):
                break
    return " ".join(out), sorted(used)


# ---------------------------------------------------------------- corpora and queries


@dataclass(frozen=True)
class KnownItem:
    code: str
    written: str
    respelled: str
    variants: list[str]


def load(name: str) -> list[Story]:
    stories = []
    with tarfile.open(SHARED / "corpora" / name) as tar:
        for member in tar:
            data = tar.extractfile(member) if member.isfile() else None
            if data is not None and member.name.endswith(".txt"):
                text = data.read().decode("utf-8")
                stories.append(parse_story(text, member.name, member.name).story)
    return stories


def known_items(stories: list[Story], lang: str, count: int, seed: int) -> list[KnownItem]:
    """Known items from stories whose headline no other story shares (the Arabic sample
    holds the same article from several papers: those cannot be told apart)."""
    rng = random.Random(seed)
    shared = Counter(story.headline for story in stories)
    items = []
    for story in rng.sample(stories, len(stories)):
        if shared[story.headline] > 1:
            continue
        words = [w for w in _PUNCTUATION.sub(" ", story.headline).split() if w]
        if len(words) < 3:
            continue
        size = rng.randint(3, min(6, len(words)))
        start = rng.randint(0, len(words) - size)
        chosen = words[start : start + size]
        respelled, used = respell(chosen, lang, rng)
        items.append(KnownItem(story.code, " ".join(chosen), respelled, used))
        if len(items) == count:
            break
    return items


# ---------------------------------------------------------------- systems


class ChainTokenizer(wa.Tokenizer):  # type: ignore[misc]
    """A Whoosh analyzer that yields the terms of a `newssearch.analysis.Chain`."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChainTokenizer) and other.chain is self.chain

    def __hash__(self) -> int:
        return id(self.chain)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Any]:
        token = wa.Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for term in self.chain.terms(value):
            token.text = term.text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[term.start : term.end]
            if positions:
                token.pos = start_pos + term.pos
            if chars:
                token.startchar = start_char + term.start
                token.endchar = start_char + term.end
            yield token


def _index(schema: fields.Schema, stories: list[Story], extra: bool) -> Any:
    ix = RamStorage().create_index(schema)
    with ix.writer(limitmb=512) as w:
        for story in stories:
            doc = {"code": story.code, "headline": story.headline, "body": story.body}
            if extra:
                doc.update(headline_x=story.headline, body_x=story.body)
            w.add_document(**doc)
    return ix


class Naive:
    """whoosh-reloaded as its tutorial uses it."""

    def __init__(self, stories: list[Story], group: Any) -> None:
        schema = fields.Schema(
            code=fields.ID(stored=True, unique=True),
            headline=fields.TEXT(analyzer=wa.StemmingAnalyzer()),
            body=fields.TEXT(analyzer=wa.StemmingAnalyzer()),
        )
        self.ix = _index(schema, stories, extra=False)
        self.searcher = self.ix.searcher()
        self.parsers: dict[tuple[str, ...], Any] = {
            fieldnames: qparser.MultifieldParser(list(fieldnames), schema, group=group)
            for fieldnames in (("headline", "body"), ("body",))
        }

    def search(self, text: str, fieldnames: tuple[str, ...]) -> list[str]:
        q = self.parsers[fieldnames].parse(text)
        return [hit["code"] for hit in self.searcher.search(q, limit=TOP)]


class Prototype:
    """The analysis chain in plain whoosh-reloaded, ranked as newssearch ranks."""

    def __init__(self, stories: list[Story], chain: Chain, exact: Chain | None) -> None:
        self.chain, self.exact = chain, exact
        analyzer = ChainTokenizer(chain)
        schema = fields.Schema(
            code=fields.ID(stored=True, unique=True),
            headline=fields.TEXT(analyzer=analyzer),
            body=fields.TEXT(analyzer=analyzer),
        )
        if exact is not None:
            schema.add("headline_x", fields.TEXT(analyzer=ChainTokenizer(exact)))
            schema.add("body_x", fields.TEXT(analyzer=ChainTokenizer(exact)))
        self.ix = _index(schema, stories, extra=exact is not None)
        self.searcher = self.ix.searcher(weighting=scoring.BM25F(B=0.2, K1=1.6))

    def _word(self, stem: str, unstemmed: str | None, fieldnames: tuple[str, ...]) -> Any:
        boosts = {"headline": HEADLINE_BOOST, "body": 1.0}
        clauses = [wq.Term(f, stem, boost=boosts[f]) for f in fieldnames]
        if unstemmed is not None:
            clauses += [
                wq.Term(f + "_x", unstemmed, boost=boosts[f] * EXACT_BOOST) for f in fieldnames
            ]
        return wq.Or(clauses)

    def search(self, text: str, fieldnames: tuple[str, ...]) -> list[str]:
        stems = [t.text for t in self.chain.terms(text)]
        exact: list[str | None] = (
            [t.text for t in self.exact.terms(text)]
            if self.exact is not None
            else [None] * len(stems)
        )
        words = list(dict.fromkeys(zip(stems, exact, strict=True)))
        if not words:
            return []
        clauses = [self._word(s, e, fieldnames) for s, e in words]
        found = [h["code"] for h in self.searcher.search(wq.And(clauses), limit=TOP)]
        if len(found) < TOP and len(clauses) > 1:
            for hit in self.searcher.search(wq.Or(clauses), limit=TOP + len(found)):
                if hit["code"] not in found:
                    found.append(hit["code"])
        return found[:TOP]


class NewsSearch:
    """newssearch as a user runs it: the story files indexed, then searched."""

    def __init__(self, archive: str) -> None:
        folder = Path(tempfile.mkdtemp(prefix="stories-"))
        with tarfile.open(SHARED / "corpora" / archive) as tar:
            tar.extractall(folder, filter="data")
        start = time.perf_counter()
        report = index_stories(str(folder / "index"), [str(folder)])
        self.rate = report.added / (time.perf_counter() - start)
        self.ix = NewsIndex.open(folder / "index")

    def _codes(self, query: str) -> list[str]:
        try:
            return [hit.code for hit in self.ix.search(query, limit=TOP).hits]
        except NewsSearchError:  # a query of stop words alone
            return []

    def search(self, text: str, fieldnames: tuple[str, ...]) -> list[str]:
        if fieldnames != ("body",):
            return self._codes(text)
        words = [w for w in text.split() if w]
        found = self._codes(" AND ".join(f"body:{w}" for w in words))
        if len(found) < TOP and len(words) > 1:
            found += [
                c for c in self._codes(" OR ".join(f"body:{w}" for w in words)) if c not in found
            ]
        return found[:TOP]


# ---------------------------------------------------------------- measurement


def score(
    system: Any, items: list[KnownItem], attr: str, fieldnames: tuple[str, ...]
) -> tuple[float, float]:
    found = rr = 0.0
    for item in items:
        ranked = system.search(getattr(item, attr), fieldnames)
        if item.code in ranked:
            found += 1
            rr += 1 / (ranked.index(item.code) + 1)
    return found / len(items), rr / len(items)


def _prototype(stories: list[Story], stemmer: str, *, exact: bool) -> Callable[[], Any]:
    return lambda: Prototype(stories, Chain(stemmer), Chain("none") if exact else None)


def systems(stories: list[Story], archive: str) -> Iterator[tuple[str, Callable[[], Any]]]:
    """Each system's label and a function that builds it (indexing the stories)."""
    yield "newssearch", lambda: NewsSearch(archive)
    yield "naive Whoosh, words ANDed", lambda: Naive(stories, qparser.AndGroup)
    yield "naive Whoosh, words ORed", lambda: Naive(stories, qparser.OrGroup)
    for name in ("none", "light", "snowball-arabic", "snowball-persian"):
        yield f"prototype, stemmer {name}", _prototype(stories, name, exact=False)
        if name != "none":
            yield f"prototype, stemmer {name} +exact", _prototype(stories, name, exact=True)
    yield (
        "prototype, stemmer light, ة kept",
        lambda: Prototype(stories, Chain("light", teh_marbuta=False), None),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, default=300, help="known items per language")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--show", type=int, default=0, help="print this many queries per language")
    parser.add_argument(
        "--only", action="append", help="run the systems whose label holds this (repeatable)"
    )
    args = parser.parse_args()
    # Whoosh's RAM indexes spill to `<tmp>/MAIN.tmp` and delete it when done: a directory
    # of this run's own keeps two runs at once from deleting each other's files.
    multiprocessing.util.get_temp_dir()  # newssearch's workers' own, kept out of it
    tempfile.tempdir = tempfile.mkdtemp(prefix="known-item-")
    try:
        run(args)
    finally:
        shutil.rmtree(tempfile.tempdir, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    results: dict[str, Any] = {}
    for lang, name in CORPORA.items():
        stories = load(name)
        items = known_items(stories, lang, args.stories, args.seed)
        used: dict[str, int] = {}
        for item in items:
            for v in item.variants:
                used[v] = used.get(v, 0) + 1
        print(f"\n## {lang}: {len(stories):,} stories, {len(items)} known items (seed {args.seed})")
        print(
            "variants applied (queries): " + ", ".join(f"{k} {v}" for k, v in sorted(used.items()))
        )
        for item in items[: args.show]:
            print(f"  {item.code}: {item.written}  ->  {item.respelled}")
        print(
            "\n| system | respelled: top 10 | MRR | as written: top 10 | MRR "
            "| respelled, body only: top 10 | MRR | index s |"
        )
        print("|---|---|---|---|---|---|---|---|")
        results[lang] = {}
        for label, build in systems(stories, name):
            if args.only and not any(part in label for part in args.only):
                continue
            start = time.perf_counter()
            system = build()
            seconds = time.perf_counter() - start
            row = [
                *score(system, items, "respelled", ("headline", "body")),
                *score(system, items, "written", ("headline", "body")),
                *score(system, items, "respelled", ("body",)),
            ]
            results[lang][label] = row
            cells = " | ".join(
                f"{100 * v:.1f}%" if i % 2 == 0 else f"{v:.3f}" for i, v in enumerate(row)
            )
            rate = f" ({system.rate:,.0f} stories/s)" if isinstance(system, NewsSearch) else ""
            print(f"| {label} | {cells} | {seconds:.0f}{rate} |", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
