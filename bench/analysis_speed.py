"""Term extraction speed: the index-time fast path before and after the analysis package.

    .venv/bin/python bench/analysis_speed.py [--rounds N]

Reads every story of each corpus once, then times `postings.term_positions` (the path
the index has used so far) and `analysis.term_positions` (the new chain) over every
headline and body, in alternating rounds; each figure is the fastest round (a shared
machine's noise only ever adds time), with warm caches on both sides as in a long
indexing run. Also checks that both give the same terms on every Reuters story.
"""

from __future__ import annotations

import argparse
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

from newssearch import analysis
from newssearch.engine import fields as postings
from newssearch.stories.parse import parse_story

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
CORPORA = {
    "reuters (en)": "reuters21578-stories.tar.gz",
    "fars (fa)": "persian-fars-stories.tar.gz",
    "saudinewsnet (ar)": "arabic-saudinewsnet-stories.tar.gz",
}


def load(name: str) -> list[str]:
    """The headline and the body of every story of a corpus tarball."""
    texts = []
    with tarfile.open(SHARED / "corpora" / name) as tar:
        for member in tar:
            data = tar.extractfile(member) if member.isfile() else None
            if data is None or not member.name.endswith(".txt"):
                continue
            raw = data.read()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("latin-1")
            story = parse_story(text, member.name, member.name).story
            texts += [story.headline, story.body]
    return texts


def fastest(extract: Callable[[str], object], texts: list[str], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for text in texts:
            extract(text)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    print("| corpus | stories | before (s) | after (s) | stories/s before | after | after/before |")
    print("|---|---|---|---|---|---|---|")
    for label, name in CORPORA.items():
        texts = load(name)
        stories = len(texts) // 2
        if label.endswith("(en)"):
            differ = sum(analysis.term_positions(t) != postings.term_positions(t) for t in texts)
            assert differ == 0, f"{differ} texts get other terms"
        before = after = float("inf")
        for _ in range(args.rounds):  # alternate, so drift hits both alike
            before = min(before, fastest(postings.term_positions, texts, 1))
            after = min(after, fastest(analysis.term_positions, texts, 1))
        print(
            f"| {label} | {stories:,} | {before:.3f} | {after:.3f} | {stories / before:,.0f} "
            f"| {stories / after:,.0f} | {after / before:.3f} |"
        )


if __name__ == "__main__":
    main()
