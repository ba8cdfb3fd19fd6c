"""Ranking quality on the four judged collections of ../shared/eval, beside two baselines.

For each collection (Reuters-21578 topics, CISI, Cranfield, MEDLINE) the stories are
extracted and indexed once into .cache/bench/ (later runs reuse both), each query is typed
as a person would (lower-cased, punctuation kept) and run through `NewsIndex.search` for
the top 100, and MAP (over the top 100), P@10 and nDCG@10 (binary gains) are averaged over
the queries. A query newssearch refuses counts as finding nothing, and is reported.

The two baselines are computed in the same run, as ../shared/eval/README.md describes them:

* textbook BM25: k1 1.2, b 0.75, idf log(1 + (N - df + 0.5) / (df + 0.5)), lower-case
  alphanumeric tokens of headline and body, no stemming, each query word counted once;
* naive whoosh-reloaded: StemmingAnalyzer, BM25F, the headline's field boost 2, the
  default parser over both fields with the words ORed (`OrGroup.factory(0.9)`). Its
  queries have their punctuation dropped, as the README's figures were measured: as typed,
  Whoosh reads a question's closing `?` as a wildcard and loses that word.

    .venv/bin/python bench/quality.py [--json FILE] [--set NAME=VALUE ...]

`--set` changes a constant of `newssearch.searching.ranking` for the run (`--set BM25_B=0.5`), to
measure a ranking choice without editing the code.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import tarfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newssearch import IndexDamaged, IndexOptions, NewsIndex, QueryError, index_stories

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EVAL = SHARED / "eval"
CACHE = ROOT / ".cache" / "bench"
DEPTH = 100


@dataclass(frozen=True)
class Collection:
    name: str
    archive: Path
    folder: str
    """The folder the archive unpacks to."""


COLLECTIONS = (
    Collection("reuters-topics", SHARED / "corpora" / "reuters21578-stories.tar.gz", "reuters"),
    Collection("cisi", EVAL / "cisi-stories.tar.gz", "cisi"),
    Collection("cran", EVAL / "cran-stories.tar.gz", "cran"),
    Collection("med", EVAL / "med-stories.tar.gz", "med"),
)
SYSTEMS = ("textbook BM25", "naive Whoosh OR", "newssearch")
MEASURES = ("MAP", "P@10", "nDCG@10")

Figures = dict[str, float]
Run = Callable[[str], list[str]]
"""Query text -> story codes, best first."""


def stories_dir(c: Collection) -> Path:
    """The collection's story files, extracted from its archive once."""
    folder = CACHE / f"{c.folder}-stories"
    if not folder.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        with tarfile.open(c.archive) as tar:
            tar.extractall(CACHE, filter="data")
    return folder


def newssearch_index(c: Collection) -> str:
    """Index the collection with newssearch, once; later runs reuse the index."""
    corpus = stories_dir(c)
    index = str(CACHE / f"{c.folder}-index")
    try:
        index_stories(index, [str(corpus)])
    except IndexDamaged:  # made by another version: rebuild
        index_stories(index, [str(corpus)], IndexOptions(full=True))
    return index


def reuters_index() -> str:
    """The Reuters corpus extracted into .cache/bench/ and indexed with newssearch."""
    return newssearch_index(COLLECTIONS[0])


def load_queries(c: Collection) -> list[tuple[str, str]]:
    """(id, text) of each query, lower-cased, punctuation kept. The text is the last column
    (Reuters has the topic code before it)."""
    found = []
    for line in (EVAL / f"{c.name}-queries.tsv").read_text().splitlines():
        columns = line.split("\t")
        found.append((columns[0], columns[-1].lower()))
    return found


def load_qrels(c: Collection) -> dict[str, set[str]]:
    """Query id -> the codes of the stories judged relevant."""
    qrels: dict[str, set[str]] = defaultdict(set)
    for line in (EVAL / f"{c.name}-qrels.trec").read_text().splitlines():
        qid, _, code, rel = line.split()
        if int(rel) > 0:
            qrels[qid].add(code)
    return qrels


_DATE_LINE = re.compile(r"^(?:[A-Za-z]+\.?,?\s+)?\d{1,2}\s+[A-Za-z]+\.?,?\s+\d{4}\b")
_CODE_LINE = re.compile(r"^story\s*code\s*:\s*(\d+)\s*$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def read_story(path: Path) -> tuple[str, str, str]:
    """(code, headline, body) of a story file in the seed format, as newssearch reads the
    files of these collections: the date line and code line dropped, and the headline's
    repeat at the start of the body."""
    lines = [s.strip() for s in _CONTROL.sub("", path.read_text()).splitlines()]
    lines = [s for s in lines if s]
    if lines and _DATE_LINE.match(lines[0]):
        lines = lines[1:]
    code, headline = "", ""
    for _ in range(2):
        m = _CODE_LINE.match(lines[0]) if lines else None
        if m and not code:
            code = m[1].lstrip("0") or "0"
            lines = lines[1:]
        elif lines and not headline and not m:
            headline = lines[0]
            lines = lines[1:]
    if lines and lines[0].split() == headline.split():
        lines = lines[1:]
    return code, headline, "\n".join(lines)


def read_stories(c: Collection) -> list[tuple[str, str, str]]:
    return [read_story(p) for p in sorted(stories_dir(c).glob("*.txt"))]


def measure(ranked: list[str], relevant: set[str]) -> tuple[float, float, float]:
    """Average precision (over the top DEPTH), P@10 and nDCG@10 with binary gains."""
    hits = 0
    precision_sum = 0.0
    for i, code in enumerate(ranked[:DEPTH], 1):
        if code in relevant:
            hits += 1
            precision_sum += hits / i
    ap = precision_sum / len(relevant) if relevant else 0.0
    p10 = sum(code in relevant for code in ranked[:10]) / 10
    dcg = sum(1 / math.log2(i + 1) for i, c in enumerate(ranked[:10], 1) if c in relevant)
    ideal = sum(1 / math.log2(i + 1) for i in range(1, min(len(relevant), 10) + 1))
    return ap, p10, dcg / ideal if ideal else 0.0


def evaluate(c: Collection, run: Run) -> Figures:
    """The measures averaged over the collection's queries."""
    qrels = load_qrels(c)
    queries = load_queries(c)
    totals = [0.0, 0.0, 0.0]
    for qid, text in queries:
        for k, v in enumerate(measure(run(text), qrels[qid])):
            totals[k] += v
    return {m: t / len(queries) for m, t in zip(MEASURES, totals, strict=True)}


_ALNUM = re.compile(r"[a-z0-9]+")


def textbook_bm25(c: Collection, k1: float = 1.2, b: float = 0.75) -> Run:
    """Okapi BM25 over lower-case alphanumeric tokens of headline and body, unstemmed."""
    docs = read_stories(c)
    postings: dict[str, dict[int, int]] = defaultdict(dict)
    lengths = []
    for n, (_, headline, body) in enumerate(docs):
        tokens = _ALNUM.findall(f"{headline} {body}".lower())
        lengths.append(len(tokens))
        for token, tf in Counter(tokens).items():
            postings[token][n] = tf
    average = sum(lengths) / len(lengths)
    norm = [k1 * (1 - b + b * length / average) for length in lengths]

    def run(text: str) -> list[str]:
        scores: dict[int, float] = defaultdict(float)
        for word in set(_ALNUM.findall(text.lower())):
            found = postings.get(word, {})
            idf = math.log(1 + (len(docs) - len(found) + 0.5) / (len(found) + 0.5))
            for n, tf in found.items():
                scores[n] += idf * tf * (k1 + 1) / (tf + norm[n])
        best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:DEPTH]
        return [docs[n][0] for n, _ in best]

    return run


_PUNCTUATION = re.compile(r"[^\w\s]")


def naive_whoosh(c: Collection) -> tuple[Run, Any]:
    """whoosh-reloaded used the plain way (built once into .cache/bench/); returns the
    run and the searcher to close."""
    from whoosh import analysis, fields, index, qparser, scoring

    target = CACHE / f"{c.folder}-naive-whoosh"
    docs = None
    if not index.exists_in(str(target)):
        docs = read_stories(c)
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        analyzer = analysis.StemmingAnalyzer()
        schema = fields.Schema(
            code=fields.ID(stored=True, unique=True),
            headline=fields.TEXT(analyzer=analyzer, field_boost=2.0),
            body=fields.TEXT(analyzer=analyzer),
        )
        ix = index.create_in(str(target), schema)
        with ix.writer(limitmb=256) as writer:
            for code, headline, body in docs:
                writer.add_document(code=code, headline=headline, body=body)
    ix = index.open_dir(str(target))
    parser = qparser.MultifieldParser(
        ["headline", "body"], ix.schema, group=qparser.OrGroup.factory(0.9)
    )
    searcher = ix.searcher(weighting=scoring.BM25F())

    def run(text: str) -> list[str]:
        q = parser.parse(_PUNCTUATION.sub(" ", text))
        return [hit["code"] for hit in searcher.search(q, limit=DEPTH)]

    return run, searcher


def run_newssearch(ix: NewsIndex, refused: list[str]) -> Run:
    def run(text: str) -> list[str]:
        try:
            return [hit.code for hit in ix.search(text, limit=DEPTH).hits]
        except QueryError as e:
            refused.append(f"{text[:40]}...: {e}")
            return []

    return run


def override(settings: list[str]) -> None:
    """Apply `NAME=VALUE` settings to `newssearch.searching.ranking` (numbers and True/False)."""
    from newssearch.searching import ranking

    for setting in settings:
        name, _, value = setting.partition("=")
        if not hasattr(ranking, name):
            raise SystemExit(f"newssearch.searching.ranking has no {name}")
        current = getattr(ranking, name)
        if isinstance(current, bool):
            setattr(ranking, name, value.lower() in ("1", "true", "yes"))
        else:
            setattr(ranking, name, type(current)(value))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="a ranking constant"
    )
    parser.add_argument(
        "--only", action="append", choices=[c.name for c in COLLECTIONS], help="one collection"
    )
    parser.add_argument("--no-baselines", action="store_true", help="measure newssearch only")
    args = parser.parse_args()
    override(args.set)
    figures: dict[str, dict[str, Figures]] = {}
    refusals: dict[str, list[str]] = {}
    for c in COLLECTIONS:
        if args.only and c.name not in args.only:
            continue
        figures[c.name] = {}
        if not args.no_baselines:
            figures[c.name]["textbook BM25"] = evaluate(c, textbook_bm25(c))
            run, searcher = naive_whoosh(c)
            with searcher:
                figures[c.name]["naive Whoosh OR"] = evaluate(c, run)
        refused: list[str] = []
        with NewsIndex.open(newssearch_index(c)) as ix:
            figures[c.name]["newssearch"] = evaluate(c, run_newssearch(ix, refused))
        refusals[c.name] = refused
    report(figures, refusals)
    if args.json:
        out = {"figures": figures, "refused": refusals, "settings": args.set}
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")


def report(figures: dict[str, dict[str, Figures]], refusals: dict[str, list[str]]) -> None:
    """Print one table: every collection and the mean, every system, every measure."""
    systems = [s for s in SYSTEMS if all(s in f for f in figures.values())]
    mean = {
        s: {m: sum(f[s][m] for f in figures.values()) / len(figures) for m in MEASURES}
        for s in systems
    }
    print(f"{'collection':<15} {'system':<16} {'MAP':>6} {'P@10':>6} {'nDCG@10':>8}")
    for name, row in [*figures.items(), ("mean", mean)]:
        for s in systems:
            f = row[s]
            print(f"{name:<15} {s:<16} {f['MAP']:6.3f} {f['P@10']:6.3f} {f['nDCG@10']:8.3f}")
            name = ""
    baselines = [s for s in systems if s != "newssearch"]
    if baselines and "newssearch" in systems:
        best = {n: max(f[s]["nDCG@10"] for s in baselines) for n, f in figures.items()}
        gaps = {n: figures[n]["newssearch"]["nDCG@10"] - b for n, b in best.items()}
        mean_gap = sum(gaps.values()) / len(gaps)
        print(
            "newssearch - best baseline, nDCG@10: "
            + ", ".join(f"{n} {g:+.3f}" for n, g in gaps.items())
            + f"; mean {mean_gap:+.3f}"
        )
    for name, refused in refusals.items():
        for line in refused:
            print(f"refused ({name}): {line}")


if __name__ == "__main__":
    main()
