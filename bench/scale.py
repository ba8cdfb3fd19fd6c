"""How indexing time, memory, search latency and index size grow with the archive.

    .venv/bin/python bench/scale.py [--sizes 19043,50000,250000] [--json FILE]

Builds corpora in .cache/bench/scale-N (once) by replicating the shared corpora
(Reuters-21578, then Tehran Times, then again) with fresh story codes; every copy after
the first has its dates shifted by 40 years a copy, so each story is a distinct document.
For each size it runs `newssearch index` as its own process (wall time, and peak memory
as the largest sum of the resident sizes of that process and its workers, sampled every
50 ms), then answers the 60 benchmark queries in process (p50/p95, top 10 with
snippets), times `newssearch search` as a whole process against ripgrep listing the
files that hold the phrase (when `rg` is installed), and compares the index's size on
disk with the raw text.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from newssearch import NewsIndex
from newssearch.stories.parse import read_story
from quality import CACHE, SHARED
from speed import load_queries, percentiles

SOURCES = ("reuters21578-stories", "tehrantimes-stories")
NEWSSEARCH = [sys.executable, "-m", "newssearch"]
FIRST_CODE = 10_000_000
"""Story n of a built corpus gets code FIRST_CODE + n."""


def originals() -> list[Path]:
    """The shared stories, Reuters first, in a fixed order (extracted once)."""
    paths: list[Path] = []
    for name in SOURCES:
        folder = CACHE / name.replace("reuters21578", "reuters")
        if not folder.exists():
            with tarfile.open(SHARED / "corpora" / f"{name}.tar.gz") as tar:
                tar.extractall(CACHE, filter="data")
        paths += sorted(folder.glob("*.txt"))
    return paths


def shifted(d: datetime, years: int) -> datetime:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def build_corpus(size: int, sources: list[Path]) -> Path:
    """`size` stories in the reference format under CACHE/scale-<size>."""
    target = CACHE / f"scale-{size}"
    done = target / ".complete"
    if done.exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    for n in range(size):
        copy, i = divmod(n, len(sources))
        story = read_story(str(sources[i]), sources[i].name).story
        code = FIRST_CODE + n
        lines = []
        if story.date is not None:
            lines.append(shifted(story.date, copy * 40).strftime("%A %d %B %Y - %H:%M"))
        lines += [story.headline, f"Story Code : {code}", story.headline, story.body]
        folder = target / f"{n // 1000:04d}"
        if n % 1000 == 0:
            folder.mkdir(parents=True)
        (folder / f"{code}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    done.touch()
    return target


def tree_rss(session: int) -> int:
    """Resident bytes of every process in `session`."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[3]) == session:  # field 6 of stat: the session id
                total += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")  # field 24: rss pages
        except (OSError, IndexError, ValueError):
            continue
    return total


def index_run(corpus: Path, index: Path) -> tuple[float, int]:
    """Wall seconds and peak memory of `newssearch index` as a fresh process tree."""
    shutil.rmtree(index, ignore_errors=True)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*NEWSSEARCH, "index", str(corpus), "--index", str(index), "--quiet"],
        start_new_session=True,
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"indexing {corpus} failed with status {proc.returncode}")
    return seconds, peak


def timed(args: list[str], repeat: int = 5) -> float:
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def measure(size: int, sources: list[Path], queries: list[Any]) -> dict[str, float]:
    corpus = CACHE / "reuters-stories" if size == 19_043 else build_corpus(size, sources)
    index = CACHE / f"scale-index-{size}"
    seconds, peak = index_run(corpus, index)
    samples = []
    with NewsIndex.open(str(index)) as ix:
        stories = ix.stats().stories
        for text, since, until in queries:
            t = time.perf_counter()
            ix.search(text, since=since, until=until, limit=10)
            samples.append(time.perf_counter() - t)
    p50, p95 = percentiles(samples)
    raw = sum(p.stat().st_size for p in corpus.rglob("*.txt"))
    size_on_disk = sum(p.stat().st_size for p in index.iterdir() if p.is_file())
    figures = {
        "stories": stories,
        "index_s": seconds,
        "stories_per_s": stories / seconds,
        "peak_mb": peak / 2**20,
        "p50_ms": p50,
        "p95_ms": p95,
        "raw_mb": raw / 2**20,
        "index_mb": size_on_disk / 2**20,
        "size_ratio": size_on_disk / raw,
        "search_process_s": timed([*NEWSSEARCH, "search", "oil prices", "--index", str(index)]),
    }
    rg = shutil.which("rg")
    if rg:
        figures["ripgrep_s"] = timed([rg, "-il", "oil prices", str(corpus)])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="19043,50000,250000")
    parser.add_argument("--json", default=str(Path(__file__).parent / "results" / "scale.json"))
    args = parser.parse_args()
    sources = originals()
    queries = load_queries()
    results = {}
    print(
        f"{'stories':>8} {'index s':>8} {'stories/s':>9} {'peak MB':>8} {'p50 ms':>7} "
        f"{'p95 ms':>7} {'raw MB':>7} {'index MB':>8} {'size':>5} {'search s':>8} {'rg s':>6}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        f = measure(size, sources, queries)
        results[str(size)] = f
        rg = f"{f['ripgrep_s']:6.2f}" if "ripgrep_s" in f else "     -"
        print(
            f"{f['stories']:8,.0f} {f['index_s']:8.1f} {f['stories_per_s']:9.0f} "
            f"{f['peak_mb']:8.0f} {f['p50_ms']:7.1f} {f['p95_ms']:7.1f} {f['raw_mb']:7.0f} "
            f"{f['index_mb']:8.0f} {f['size_ratio']:4.2f}x {f['search_process_s']:8.2f} {rg}",
            flush=True,
        )
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
