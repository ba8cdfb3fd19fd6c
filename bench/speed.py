"""Indexing and search speed on the Reuters corpus, against naive Whoosh in the same run.

    .venv/bin/python bench/speed.py [--json FILE]

Both engines index the 19,043 Reuters stories and answer the 60 queries of
../shared/bench/reuters-queries.tsv (top 10, with snippets). Timings are taken in
`ROUNDS` rounds, each a full index and then `RERUNS` re-runs of `index` on the unchanged
tree and as many after touching 1% of the files (touched again before each); every
figure is the fastest of its samples, since a shared machine's noise only ever adds time,
and comes in bursts that a single sample of a fraction of a second can fall into. The
naive baseline indexes in as many rounds, and its fastest is kept too. It is
whoosh-reloaded as its tutorial uses it: one writer, StemmingAnalyzer, BM25F, the default
query parser, date limits as a filter. Figures are printed as one table, with ratios
against the baseline measured in this same process tree, because absolute times on a
shared machine drift.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from newssearch import NewsIndex, index_stories
from newssearch.stories.parse import read_story
from quality import CACHE, SHARED, reuters_index

ROOT = Path(__file__).resolve().parent.parent
QUERIES = SHARED / "bench" / "reuters-queries.tsv"
NEWSSEARCH = [sys.executable, "-m", "newssearch"]
ROUNDS = 2
"""Full indexing runs of each engine, each followed by its re-runs."""
RERUNS = 3
"""Timings of each kind of re-run in a round."""


def load_queries() -> list[tuple[str, datetime | None, datetime | None]]:
    queries = []
    for line in QUERIES.read_text().splitlines():
        _, text, since, until = ([*line.split("\t"), "", ""])[:4]
        queries.append(
            (
                text,
                datetime.fromisoformat(since) if since else None,
                datetime.fromisoformat(until) if until else None,
            )
        )
    return queries


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return p50 * 1000, p95 * 1000


def naive_whoosh(corpus: Path, queries: list[Any]) -> dict[str, float]:
    """The baseline: whoosh-reloaded used the plain way."""
    from whoosh import analysis, fields, highlight, index, qparser, scoring
    from whoosh import query as wq

    paths = sorted(str(p) for p in corpus.glob("*.txt"))
    timings = []
    for _ in range(ROUNDS):
        target = tempfile.mkdtemp(prefix="naive-", dir=CACHE)
        started = time.perf_counter()
        analyzer = analysis.StemmingAnalyzer()
        schema = fields.Schema(
            code=fields.ID(stored=True, unique=True),
            headline=fields.TEXT(analyzer=analyzer, stored=True, field_boost=2.0),
            body=fields.TEXT(analyzer=analyzer, stored=True),
            date=fields.DATETIME(stored=True, sortable=True),
        )
        ix = index.create_in(target, schema)
        with ix.writer() as writer:
            for path in paths:
                story = read_story(path, os.path.basename(path)).story
                writer.add_document(
                    code=story.code, headline=story.headline, body=story.body, date=story.date
                )
        timings.append(time.perf_counter() - started)
        if len(timings) < ROUNDS:
            shutil.rmtree(target)
    index_seconds = min(timings)
    parser = qparser.MultifieldParser(["headline", "body"], schema)
    samples = []
    with ix.searcher(weighting=scoring.BM25F()) as searcher:
        for text, since, until in queries:
            t = time.perf_counter()
            flt = wq.DateRange("date", since, until) if since or until else None
            results = searcher.search(parser.parse(text), filter=flt, limit=10)
            results.fragmenter = highlight.ContextFragmenter()
            for hit in results:
                hit.highlights("body")
            samples.append(time.perf_counter() - t)
    shutil.rmtree(target)
    p50, p95 = percentiles(samples)
    return {"stories_per_s": len(paths) / index_seconds, "p50_ms": p50, "p95_ms": p95}


def touch(paths: list[Path]) -> None:
    for p in paths:
        st = p.stat()
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def run_newssearch(corpus: Path, queries: list[Any], target: str) -> dict[str, Any]:
    stories = sorted(corpus.glob("*.txt"))
    touched = stories[::100][: len(stories) // 100]
    full: list[float] = []
    unchanged: list[float] = []
    one_percent: list[float] = []
    for _ in range(ROUNDS):
        shutil.rmtree(target, ignore_errors=True)
        started = time.perf_counter()
        report = index_stories(target, [str(corpus)])
        full.append(time.perf_counter() - started)
        assert report.added == len(stories), report
        size = sum(f.stat().st_size for f in Path(target).iterdir())  # as built
        for _ in range(RERUNS):
            started = time.perf_counter()
            index_stories(target, [str(corpus)])
            unchanged.append(time.perf_counter() - started)
        for _ in range(RERUNS):
            touch(touched)
            started = time.perf_counter()
            report = index_stories(target, [str(corpus)])
            one_percent.append(time.perf_counter() - started)
            assert report.updated == len(touched), report
    samples = []
    with NewsIndex.open(target) as ix:
        for text, since, until in queries:
            t = time.perf_counter()
            ix.search(text, since=since, until=until, limit=10)
            samples.append(time.perf_counter() - t)
    p50, p95 = percentiles(samples)
    raw = sum(p.stat().st_size for p in stories)
    return {
        "stories": len(stories),
        "stories_per_s": len(stories) / min(full),
        "full_s": min(full),
        "unchanged_s": min(unchanged),
        "one_percent_s": min(one_percent),
        "p50_ms": p50,
        "p95_ms": p95,
        "size_ratio": size / raw,
        "samples_s": {"full": full, "unchanged": unchanged, "one_percent": one_percent},
    }


def process_times(index: str) -> dict[str, float]:
    def timed(args: list[str], repeat: int = 5) -> float:
        samples = []
        for _ in range(repeat):
            t = time.perf_counter()
            subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            samples.append(time.perf_counter() - t)
        return statistics.median(samples)

    figures = {
        "help_s": timed([*NEWSSEARCH, "--help"]),
        "cli_search_s": timed([*NEWSSEARCH, "search", "oil prices", "--index", index]),
    }
    rg = shutil.which("rg")
    if rg:
        figures["ripgrep_s"] = timed([rg, "-il", "oil prices", str(CACHE / "reuters-stories")])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "speed.json"))
    args = parser.parse_args()
    reuters_index()  # extracts the corpus into .cache/bench once
    corpus = CACHE / "reuters-stories"
    queries = load_queries()
    naive = naive_whoosh(corpus, queries)
    target = str(CACHE / "speed-index")
    ours = run_newssearch(corpus, queries, target)
    procs = process_times(target)
    rows = [
        ("index stories/s", naive["stories_per_s"], ours["stories_per_s"], "≥ 4x"),
        ("unchanged re-run, % of full", None, 100 * ours["unchanged_s"] / ours["full_s"], "≤ 2%"),
        (
            "1% touched re-run, % of full",
            None,
            100 * ours["one_percent_s"] / ours["full_s"],
            "≤ 5%",
        ),
        ("query p50 ms", naive["p50_ms"], ours["p50_ms"], "< 10 ms"),
        ("query p95 ms", naive["p95_ms"], ours["p95_ms"], "≤ 0.1x"),
        ("index size / raw text", None, ours["size_ratio"], "≤ 2x"),
        ("--help s", None, procs["help_s"], "< 0.2 s"),
        ("search process s", None, procs["cli_search_s"], ""),
    ]
    if "ripgrep_s" in procs:
        rows.append(("ripgrep -il s (19k files)", None, procs["ripgrep_s"], ""))
    print(f"{'figure':<30} {'naive whoosh':>13} {'newssearch':>11} {'ratio':>7}  target")
    for name, base, value, target in rows:
        ratio = f"{value / base:6.2f}x" if base else ""
        base_text = f"{base:13.1f}" if base is not None else " " * 13
        print(f"{name:<30} {base_text} {value:11.2f} {ratio:>7}  {target}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(
        json.dumps({"naive": naive, "newssearch": ours, "process": procs}, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
