"""How indexing time, memory, search latency and index size grow with the archive.

    .venv/bin/python bench/scale.py [--sizes 19043,50000,250000,1000000,1200000]
                                    [--json FILE] [--memory-log DIR]

Builds corpora in .cache/bench/scale-N (once) by replicating the shared corpora
(Reuters-21578, then Tehran Times, then again) with fresh story codes; every copy after
the first has its dates shifted by 40 years a copy, so each story is a distinct document.
Story n is the same file in every corpus, so a smaller corpus is made of hard links to a
larger one when that is built already (the largest is built first).

For each size it runs `newssearch index` as its own process (wall time, and peak memory
as the largest sum of the resident sizes of that process and its workers, sampled every
50 ms; `--memory-log` keeps the samples), then answers the 60 benchmark queries in
process (the first on its own, since it opens the index; p50/p95 of all 60, top 10 with
snippets), times `newssearch search` as a whole process against ripgrep listing the
files that hold the phrase (when `rg` is installed), compares the index's size on disk
with the raw text, and times `newssearch index` again: `RERUNS` times on the unchanged
tree, and as many times after touching 1% of the files (touched again before each). A
re-run's figure is the fastest of its samples: a shared machine's noise only adds time.
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
from speed import load_queries, percentiles, touch

SOURCES = ("reuters21578-stories", "tehrantimes-stories")
NEWSSEARCH = [sys.executable, "-m", "newssearch"]
FIRST_CODE = 10_000_000
"""Story n of a built corpus gets code FIRST_CODE + n."""
SIZES = "19043,50000,250000,1000000,1200000"
REUTERS = 19_043
"""This size is the Reuters corpus itself."""
RERUNS = 3
"""Timings of each kind of re-run."""
SAMPLE_EVERY = 0.05
"""Seconds between two samples of the indexer's memory."""


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


def story_path(target: Path, n: int) -> Path:
    """Where story n of a built corpus lies (a folder per thousand stories)."""
    return target / f"{n // 1000:04d}" / f"{FIRST_CODE + n}.txt"


def build_corpus(size: int, sources: list[Path]) -> Path:
    """`size` stories in the reference format under CACHE/scale-<size>: hard links to
    the first `size` stories of a larger corpus built before, or written afresh."""
    target = CACHE / f"scale-{size}"
    done = target / ".complete"
    if done.exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    larger = sorted(
        int(p.parent.name.removeprefix("scale-"))
        for p in CACHE.glob("scale-*/.complete")
        if p.parent.name.removeprefix("scale-").isdigit()
    )
    donor = next((CACHE / f"scale-{n}" for n in larger if n > size), None)
    for n in range(size):
        path = story_path(target, n)
        if n % 1000 == 0:
            path.parent.mkdir(parents=True)
        if donor is not None:
            os.link(story_path(donor, n), path)
            continue
        copy, i = divmod(n, len(sources))
        story = read_story(str(sources[i]), sources[i].name).story
        lines = []
        if story.date is not None:
            lines.append(shifted(story.date, copy * 40).strftime("%A %d %B %Y - %H:%M"))
        lines += [story.headline, f"Story Code : {FIRST_CODE + n}", story.headline, story.body]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
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


def index_run(
    corpus: Path, index: Path, log: Path | None = None, fresh: bool = True
) -> tuple[float, int]:
    """Wall seconds and peak memory of `newssearch index` as its own process tree (on a
    new index when `fresh`); with `log`, every memory sample is written there."""
    if fresh:
        shutil.rmtree(index, ignore_errors=True)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*NEWSSEARCH, "index", str(corpus), "--index", str(index), "--quiet"],
        start_new_session=True,
    )
    peak = 0
    samples = []
    while proc.poll() is None:
        rss = tree_rss(proc.pid)
        peak = max(peak, rss)
        samples.append((round(time.perf_counter() - started, 2), rss // 2**20))
        time.sleep(SAMPLE_EVERY)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"indexing {corpus} failed with status {proc.returncode}")
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(json.dumps(samples) + "\n")
    return seconds, peak


def timed(args: list[str], repeat: int = 5) -> float:
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def search_in_process(index: Path, queries: list[Any]) -> tuple[int, float, float, float]:
    """Stories in the index, and the first query's time, p50 and p95 of all (ms)."""
    samples = []
    with NewsIndex.open(str(index)) as ix:
        for text, since, until in queries:
            t = time.perf_counter()
            ix.search(text, since=since, until=until, limit=10)
            samples.append(time.perf_counter() - t)
        stories = ix.stats().stories
    p50, p95 = percentiles(samples)
    return stories, samples[0] * 1000, p50, p95


def reruns(corpus: Path, index: Path, stories: int) -> dict[str, float]:
    """Seconds and peak memory of re-runs on the unchanged tree and after touching 1% of
    the files (the fastest of `RERUNS` each, and the largest peak)."""
    unchanged = [index_run(corpus, index, fresh=False) for _ in range(RERUNS)]
    files = sorted(corpus.rglob("*.txt"))
    touched_files = files[::100][: len(files) // 100]
    touched = []
    for _ in range(RERUNS):
        touch(touched_files)
        touched.append(index_run(corpus, index, fresh=False))
    with NewsIndex.open(str(index)) as ix:
        if ix.stats().stories != stories:
            raise SystemExit(f"the re-runs left {ix.stats().stories} stories, not {stories}")
    return {
        "unchanged_s": min(s for s, _ in unchanged),
        "unchanged_peak_mb": max(p for _, p in unchanged) / 2**20,
        "touched_files": len(touched_files),
        "touched_s": min(s for s, _ in touched),
        "touched_peak_mb": max(p for _, p in touched) / 2**20,
    }


def measure(size: int, corpus: Path, queries: list[Any], log_dir: Path | None) -> dict[str, float]:
    index = CACHE / f"scale-index-{size}"
    log = log_dir / f"memory-{size}.json" if log_dir is not None else None
    seconds, peak = index_run(corpus, index, log)
    stories, first, p50, p95 = search_in_process(index, queries)
    raw = sum(p.stat().st_size for p in corpus.rglob("*.txt"))
    size_on_disk = sum(p.stat().st_size for p in index.iterdir() if p.is_file())
    segments = sum(1 for p in index.iterdir() if p.suffix == ".seg")
    figures = {
        "stories": stories,
        "index_s": seconds,
        "stories_per_s": stories / seconds,
        "peak_mb": peak / 2**20,
        "segments": segments,
        "first_query_ms": first,
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
    again = reruns(corpus, index, stories)
    figures.update(again)
    figures["unchanged_share"] = again["unchanged_s"] / seconds
    figures["touched_share"] = again["touched_s"] / seconds
    return figures


HEADER = (
    f"{'stories':>9} {'index s':>7} {'/s':>5} {'peak MB':>7} {'segs':>4} {'1st ms':>6} "
    f"{'p50 ms':>6} {'p95 ms':>6} {'raw MB':>6} {'idx MB':>6} {'size':>5} {'search':>6} "
    f"{'rg':>6} {'same s':>6} {'same %':>6} {'1% s':>6} {'1% %':>5} {'re MB':>5}"
)


def row(f: dict[str, float]) -> str:
    rg = f"{f['ripgrep_s']:6.2f}" if "ripgrep_s" in f else "     -"
    return (
        f"{f['stories']:9,.0f} {f['index_s']:7.1f} {f['stories_per_s']:5.0f} "
        f"{f['peak_mb']:7.0f} {f['segments']:4.0f} {f['first_query_ms']:6.0f} "
        f"{f['p50_ms']:6.1f} {f['p95_ms']:6.1f} {f['raw_mb']:6.0f} {f['index_mb']:6.0f} "
        f"{f['size_ratio']:4.2f}x {f['search_process_s']:6.2f} {rg} "
        f"{f['unchanged_s']:6.2f} {100 * f['unchanged_share']:5.1f}% "
        f"{f['touched_s']:6.1f} {100 * f['touched_share']:4.1f}% "
        f"{max(f['unchanged_peak_mb'], f['touched_peak_mb']):5.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=SIZES, help="comma-separated numbers of stories")
    parser.add_argument("--json", default=str(Path(__file__).parent / "results" / "scale.json"))
    parser.add_argument("--memory-log", help="a folder for each indexing run's memory samples")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    log_dir = Path(args.memory_log) if args.memory_log else None
    started = time.perf_counter()
    sources = originals()
    corpora = {}
    for size in sorted(sizes, reverse=True):  # the largest first: the others link to it
        built = size != REUTERS
        corpora[size] = build_corpus(size, sources) if built else CACHE / "reuters-stories"
    print(f"corpora ready in {time.perf_counter() - started:.0f} s", flush=True)
    queries = load_queries()
    results = {}
    print(HEADER, flush=True)
    for size in sizes:
        began = time.perf_counter()
        f = measure(size, corpora[size], queries, log_dir)
        f["bench_s"] = time.perf_counter() - began
        results[str(size)] = f
        print(row(f), flush=True)
    print(f"total {time.perf_counter() - started:.0f} s", flush=True)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
