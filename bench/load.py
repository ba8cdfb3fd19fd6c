"""Load on `newssearch serve`: concurrent clients on loopback while another process indexes.

    .venv/bin/python bench/load.py [--clients 50] [--seconds 30] [--no-indexer] [--json FILE]

The Reuters corpus is extracted and indexed once under .cache/bench/ (as bench/quality.py
does); each run serves a fresh copy of that index with `newssearch serve --port 0` and starts
an indexer process that, all through the run, writes copies of Reuters stories with new
story codes in batches of `BATCH` and commits each batch. Meanwhile `--clients` clients,
each with one keep-alive connection, send requests back to back for `--seconds`: API
searches (the 60 queries of ../shared/bench/reuters-queries.tsv, with their date limits),
search pages, stories, similar stories, timelines and stats. A failed request is any answer
but 200, or no answer. At the end the server must count every story the indexer committed.
Prints requests/s, latency percentiles and failures; writes bench/results/load.json; exits 1
when a request failed or a committed story was missing. `--no-indexer` runs the same load
on an index that does not change, for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx2

from newssearch import NewsIndex, index_stories
from quality import CACHE, SHARED, reuters_index

ROOT = Path(__file__).resolve().parent.parent
QUERIES = SHARED / "bench" / "reuters-queries.tsv"
RUN = CACHE / "load"
BATCH = 100
"""Stories the indexer writes per commit."""
PAUSE = 0.5
"""Seconds the indexer waits between commits."""
FIRST_NEW_CODE = 90_000_000
MIX = [
    ("api search", 50),
    ("search page", 15),
    ("story", 10),
    ("similar", 10),
    ("timeline", 10),
    ("stats", 5),
]
"""Kinds of request and how often each is sent."""
_CODE_LINE = re.compile(r"^(story code\s*:\s*)\d+", re.IGNORECASE | re.MULTILINE)


def load_queries() -> list[dict[str, str]]:
    queries = []
    for line in QUERIES.read_text().splitlines():
        _, text, since, until = ([*line.split("\t"), "", ""])[:4]
        query = {"q": text}
        if since:
            query["since"] = since[:10]
        if until:
            query["until"] = until[:10]
        queries.append(query)
    return queries


def feed(index: str, corpus: str, target: str, seconds: float) -> None:
    """The indexer process: copies of corpus stories with new codes, committed a batch at
    a time until `seconds` have passed; prints what it committed as JSON."""
    sources = sorted(Path(corpus).glob("*.txt"))
    out = Path(target)
    deadline = time.monotonic() + seconds
    commits, written, took = 0, 0, []
    while time.monotonic() < deadline:
        batch = out / f"batch-{commits:04d}"
        batch.mkdir(parents=True)
        for source in sources[written : written + BATCH]:
            text = source.read_text(encoding="utf-8", errors="replace")
            code = FIRST_NEW_CODE + written
            copy = _CODE_LINE.sub(rf"\g<1>{code}", text, count=1)
            (batch / f"{code}.txt").write_text(copy, encoding="utf-8")
            written += 1
        started = time.monotonic()
        report = index_stories(index, [str(out)])
        took.append(time.monotonic() - started)
        assert report.added == BATCH and not report.rejected, report
        commits += 1
        time.sleep(PAUSE)
    json.dump({"commits": commits, "stories": written, "commit_seconds": took}, sys.stdout)


def start_server(index: str) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "newssearch", "serve", "--index", index, "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    line = server.stdout.readline()
    if not line.startswith("Serving "):
        server.kill()
        raise SystemExit(f"the server did not start: {line!r}")
    return server, line.split(" at ")[1].split()[0]


def request_for(
    kind: str, rng: random.Random, queries: list[dict[str, str]], codes: list[str]
) -> str:
    query = rng.choice(queries)
    if kind == "api search":
        return "/api/search?" + urlencode(query)
    if kind == "search page":
        return "/?" + urlencode(query)
    if kind == "story":
        return f"/api/stories/{rng.choice(codes)}"
    if kind == "similar":
        return f"/api/similar/{rng.choice(codes)}"
    if kind == "timeline":
        return "/api/timeline?" + urlencode({"q": query["q"], "by": "month"})
    return "/api/stats"


async def client(
    number: int,
    url: str,
    deadline: float,
    queries: list[dict[str, str]],
    codes: list[str],
    samples: dict[str, list[float]],
    failures: Counter[str],
) -> None:
    rng = random.Random(number)
    kinds, weights = zip(*MIX, strict=True)
    async with httpx2.AsyncClient(base_url=url, timeout=60) as http:
        while time.monotonic() < deadline:
            kind = rng.choices(kinds, weights)[0]
            address = request_for(kind, rng, queries, codes)
            started = time.perf_counter()
            try:
                response = await http.get(address)
            except httpx2.HTTPError as e:
                failures[f"{kind}: {type(e).__name__}"] += 1
                continue
            took = time.perf_counter() - started
            if response.status_code != 200:
                failures[f"{kind}: {response.status_code} {response.text[:200]}"] += 1
                continue
            samples[kind].append(took)


async def load(
    url: str, clients: int, seconds: float, queries: list[dict[str, str]], codes: list[str]
) -> tuple[dict[str, list[float]], Counter[str], float]:
    samples: dict[str, list[float]] = defaultdict(list)
    failures: Counter[str] = Counter()
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(
        *(client(n, url, deadline, queries, codes, samples, failures) for n in range(clients))
    )
    return samples, failures, time.monotonic() - started


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(samples: list[float], seconds: float) -> dict[str, float]:
    return {
        "requests": len(samples),
        "per_second": round(len(samples) / seconds, 1),
        "p50_ms": round(percentile(samples, 50) * 1000, 1),
        "p95_ms": round(percentile(samples, 95) * 1000, 1),
        "p99_ms": round(percentile(samples, 99) * 1000, 1),
        "mean_ms": round(statistics.fmean(samples) * 1000, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--no-indexer", action="store_true", help="no commits during the run")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "load.json"))
    parser.add_argument("--feed", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.feed:
        index, corpus, target, seconds = args.feed
        feed(index, corpus, target, float(seconds))
        return 0

    base = reuters_index()
    corpus = CACHE / "reuters-stories"
    shutil.rmtree(RUN, ignore_errors=True)
    index = RUN / "index"
    shutil.copytree(base, index)
    with NewsIndex.open(str(index)) as ix:
        before = ix.stats().stories
        codes = sorted({h.code for q in load_queries() for h in ix.search(q["q"], limit=20).hits})
    queries = load_queries()

    server, url = start_server(str(index))
    try:
        with httpx2.Client(base_url=url) as http:  # warm up: each query once, untimed
            for query in queries:
                http.get("/api/search?" + urlencode(query)).raise_for_status()
        indexer = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--feed",
                str(index),
                str(corpus),
                str(RUN / "new-stories"),
                str(0 if args.no_indexer else args.seconds),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        samples, failures, took = asyncio.run(load(url, args.clients, args.seconds, queries, codes))
        fed_out, _ = indexer.communicate(timeout=120)
        if indexer.returncode != 0:
            raise SystemExit("the indexer failed")
        fed = json.loads(fed_out)
        with httpx2.Client(base_url=url) as http:
            seen = http.get("/api/stats").json()["stories"]
            last_code = FIRST_NEW_CODE + fed["stories"] - 1
            last = http.get(f"/api/stories/{last_code}").status_code
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)

    every = [t for kind in samples.values() for t in kind]
    result: dict[str, Any] = {
        "clients": args.clients,
        "seconds": round(took, 1),
        "all": summary(every, took) if every else {},
        "by_kind": {kind: summary(samples[kind], took) for kind, _ in MIX if samples[kind]},
        "failed": sum(failures.values()),
        "failures": dict(failures),
        "indexer": {
            "commits": fed["commits"],
            "stories_added": fed["stories"],
            "commit_seconds_median": round(statistics.median(fed["commit_seconds"] or [0]), 2),
        },
        "stories_before": before,
        "stories_served_after": seen,
        "last_new_story_status": last,
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    meanwhile = "no commits" if args.no_indexer else "an indexer committing meanwhile"
    print(f"{args.clients} clients for {took:.1f} s on loopback, {meanwhile}")
    print(f"{'requests':<14}{'count':>8}{'per s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for kind, row in [("all", result["all"]), *result["by_kind"].items()]:
        print(
            f"{kind:<14}{row['requests']:>8,}{row['per_second']:>9.1f}"
            f"{row['p50_ms']:>9.1f}{row['p95_ms']:>9.1f}{row['p99_ms']:>9.1f}"
        )
    print(f"failed requests: {result['failed']}")
    for failure, count in failures.most_common(10):
        print(f"  {count} x {failure}")
    print(
        f"indexer: {fed['commits']} commits, {fed['stories']:,} stories added; the server "
        f"counted {before:,} before and {seen:,} after (expected {before + fed['stories']:,}); "
        f"the last new story: HTTP {last}"
    )
    complete = seen == before + fed["stories"] and (last == 200 or not fed["stories"])
    return 0 if result["failed"] == 0 and complete else 1


if __name__ == "__main__":
    raise SystemExit(main())
