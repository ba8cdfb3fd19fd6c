"""Ranking quality on the judged Reuters-21578 topic queries (../shared/eval).

Indexes the Reuters corpus (once, into .cache/bench/), runs each of the 78 queries through
`NewsIndex.search` for the top 100 and prints MAP, P@10 and nDCG@10 (binary gains)
averaged over the queries, beside the baselines of ../shared/eval/README.md.

    .venv/bin/python bench/quality.py [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import tarfile
from collections import defaultdict
from pathlib import Path

from newssearch import IndexDamaged, IndexOptions, NewsIndex, index_stories

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CACHE = ROOT / ".cache" / "bench"
DEPTH = 100
BASELINES = {
    "textbook BM25": (0.305, 0.463, 0.490),
    "whoosh, terms ANDed": (0.317, 0.477, 0.514),
    "whoosh, terms ORed": (0.325, 0.487, 0.523),
}


def reuters_index() -> str:
    """Extract the corpus and index it, once; later runs reuse both."""
    corpus = CACHE / "reuters-stories"
    if not corpus.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        with tarfile.open(SHARED / "corpora" / "reuters21578-stories.tar.gz") as tar:
            tar.extractall(CACHE, filter="data")
    index = CACHE / "reuters-index"
    try:
        index_stories(str(index), [str(corpus)])
    except IndexDamaged:  # made by an older version: rebuild
        index_stories(str(index), [str(corpus)], IndexOptions(full=True))
    return str(index)


def load_eval() -> tuple[list[tuple[str, str]], dict[str, set[str]]]:
    queries = []
    for line in (SHARED / "eval" / "reuters-topics-queries.tsv").read_text().splitlines():
        qid, _topic, text = line.split("\t")
        queries.append((qid, text))
    qrels: dict[str, set[str]] = defaultdict(set)
    for line in (SHARED / "eval" / "reuters-topics-qrels.trec").read_text().splitlines():
        qid, _, code, rel = line.split()
        if int(rel) > 0:
            qrels[qid].add(code)
    return queries, qrels


def measure(ranked: list[str], relevant: set[str]) -> tuple[float, float, float]:
    """Average precision (over the top DEPTH), P@10 and nDCG@10 with binary gains."""
    hits = 0
    precision_sum = 0.0
    for i, code in enumerate(ranked[:DEPTH], 1):
        if code in relevant:
            hits += 1
            precision_sum += hits / i
    ap = precision_sum / min(len(relevant), DEPTH) if relevant else 0.0
    p10 = sum(code in relevant for code in ranked[:10]) / 10
    dcg = sum(1 / math.log2(i + 1) for i, c in enumerate(ranked[:10], 1) if c in relevant)
    ideal = sum(1 / math.log2(i + 1) for i in range(1, min(len(relevant), 10) + 1))
    return ap, p10, dcg / ideal if ideal else 0.0


def evaluate(ix: NewsIndex) -> dict[str, float]:
    queries, qrels = load_eval()
    totals = [0.0, 0.0, 0.0]
    for qid, text in queries:
        ranked = [h.code for h in ix.search(text, limit=DEPTH).hits]
        for k, v in enumerate(measure(ranked, qrels[qid])):
            totals[k] += v
    n = len(queries)
    return {"MAP": totals[0] / n, "P@10": totals[1] / n, "nDCG@10": totals[2] / n}


def sweep(ix: NewsIndex) -> None:
    """Print the figures for every combination of the ranking parameters."""
    from newssearch.searching import ranking

    saved = (ranking.HEADLINE_BOOST, ranking.BM25_B, ranking.BM25_K1, ranking.ALL_WORDS_FIRST)
    print(f"{'boost':>5} {'B':>5} {'K1':>5} {'tiers':>5} {'MAP':>6} {'P@10':>6} {'nDCG@10':>8}")
    for tiers in (True, False):
        for boost in (1.0, 2.0, 3.0, 5.0):
            for b in (0.5, 0.75, 0.9):
                for k1 in (0.9, 1.2, 1.6):
                    ranking.HEADLINE_BOOST, ranking.BM25_B, ranking.BM25_K1 = boost, b, k1
                    ranking.ALL_WORDS_FIRST = tiers
                    f = evaluate(ix)
                    print(
                        f"{boost:5.1f} {b:5.2f} {k1:5.1f} {tiers!s:>5} {f['MAP']:6.3f} "
                        f"{f['P@10']:6.3f} {f['nDCG@10']:8.3f}",
                        flush=True,
                    )
    ranking.HEADLINE_BOOST, ranking.BM25_B, ranking.BM25_K1, ranking.ALL_WORDS_FIRST = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--sweep", action="store_true", help="try a grid of ranking parameters")
    args = parser.parse_args()
    with NewsIndex.open(reuters_index()) as ix:
        if args.sweep:
            sweep(ix)
        figures = evaluate(ix)
    print(f"{'system':<24} {'MAP':>6} {'P@10':>6} {'nDCG@10':>8}")
    for name, (m, p, n) in BASELINES.items():
        print(f"{name:<24} {m:6.3f} {p:6.3f} {n:8.3f}")
    print(
        f"{'newssearch':<24} {figures['MAP']:6.3f} {figures['P@10']:6.3f} {figures['nDCG@10']:8.3f}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
