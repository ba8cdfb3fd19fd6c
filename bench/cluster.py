"""Query latency of sharded search on Dask: one shard against three, in the same run.

    .venv/bin/python bench/cluster.py [--json FILE] [--passes N]

The 19,043 Reuters stories are indexed once as a whole and once in three shards (split
by a hash of their file names, as `tests/test_cluster.py` splits them), under
.cache/bench/. Three set-ups answer the 60 queries of ../shared/bench/reuters-queries.tsv
(top 10, with snippets):

- the whole index opened in this process (`NewsIndex`), the floor;
- a Dask `LocalCluster` on loopback with one worker holding the whole index as its only
  shard, searched through `ClusterIndex`: the cost of the cluster's round trips alone;
- a `LocalCluster` with three workers, each holding one shard.

Each query's latency is the fastest of its `--passes` passes (a shared machine's noise
only ever adds time); p50 and p95 are over the 60 queries. The answers of the two
clusters are checked to be the same story codes in the same order.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

from newssearch import NewsIndex, index_stories
from quality import CACHE, COLLECTIONS, SHARED, stories_dir
from speed import load_queries

QUERIES = SHARED / "bench" / "reuters-queries.tsv"
SHARDS = ("a", "b", "c")
PASSES = 5

Query = tuple[str, datetime | None, datetime | None]


def shard_indexes() -> dict[str, str]:
    """The Reuters stories in three folders by a hash of their names, each indexed, and
    all of them in one index ("whole"), all built by this code."""
    corpus = stories_dir(COLLECTIONS[0])
    target = CACHE / "cluster-shards"
    done = target / ".complete"
    if not done.exists():
        shutil.rmtree(target, ignore_errors=True)
        for path in sorted(corpus.rglob("*.txt")):
            name = SHARDS[zlib.crc32(path.name.encode()) % len(SHARDS)]
            folder = target / "stories" / name
            folder.mkdir(parents=True, exist_ok=True)
            os.link(path, folder / path.name)
        done.touch()
    indexes = {"whole": str(target / "index-whole")}
    index_stories(indexes["whole"], [str(target / "stories")])
    for name in SHARDS:
        indexes[name] = str(target / f"index-{name}")
        index_stories(indexes[name], [str(target / "stories" / name)])
    return indexes


class Cluster:
    """A LocalCluster on loopback with one worker per shard."""

    def __init__(self, shards: dict[str, str]) -> None:
        from distributed import Client, LocalCluster

        from newssearch.cluster.shard import open_shard, register

        self.local = LocalCluster(
            n_workers=len(shards),
            threads_per_worker=2,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        )
        self.client = Client(self.local, set_as_default=False)
        workers = list(self.client.scheduler_info()["workers"])
        for (name, path), worker in zip(shards.items(), workers, strict=True):
            self.client.run(open_shard, name, path, workers=[worker])
        register(self.client, list(shards))
        self.address = self.local.scheduler_address

    def close(self) -> None:
        self.client.close()
        self.local.close()


def timed(index: Any, queries: list[Query], passes: int) -> tuple[list[float], list[list[str]]]:
    """Each query's fastest time over `passes` passes, and its first ten codes."""
    best = [float("inf")] * len(queries)
    answers: list[list[str]] = []
    for n in range(passes):
        for i, (text, since, until) in enumerate(queries):
            start = time.perf_counter()
            result = index.search(text, since=since, until=until, limit=10)
            best[i] = min(best[i], time.perf_counter() - start)
            if n == 0:
                answers.append([hit.code for hit in result.hits])
    return best, answers


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": statistics.median(ordered) * 1000, "p95_ms": p95 * 1000}


def on_cluster(
    shards: dict[str, str], queries: list[Query], passes: int
) -> tuple[dict[str, float], list[list[str]]]:
    from newssearch.cluster.client import ClusterIndex

    cluster = Cluster(shards)
    try:
        with ClusterIndex(cluster.address) as index:
            index.search("warm up", limit=10)
            times, answers = timed(index, queries, passes)
    finally:
        cluster.close()
    return percentiles(times), answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--passes", type=int, default=PASSES)
    args = parser.parse_args()
    if not QUERIES.exists():
        sys.exit(f"Error: the benchmark queries are not here ({QUERIES} is missing)")
    queries = load_queries()
    shards = shard_indexes()
    whole = shards.pop("whole")

    figures: dict[str, dict[str, float]] = {}
    with NewsIndex.open(whole) as ix:
        ix.search("warm up", limit=10)
        times, single_answers = timed(ix, queries, args.passes)
    figures["one index, in process"] = percentiles(times)
    figures["1 shard on Dask"], one = on_cluster({"whole": whole}, queries, args.passes)
    figures["3 shards on Dask"], three = on_cluster(shards, queries, args.passes)
    differ = sum(a != b for a, b in zip(one, three, strict=True))
    differ_single = sum(a != b for a, b in zip(single_answers, one, strict=True))

    print(f"{'set-up':<24}{'p50 ms':>10}{'p95 ms':>10}")
    for name, found in figures.items():
        print(f"{name:<24}{found['p50_ms']:>10.1f}{found['p95_ms']:>10.1f}")
    print(
        f"{len(queries)} queries, fastest of {args.passes} passes each; "
        f"first ten codes differ between 1 and 3 shards for {differ} queries "
        f"(in process vs 1 shard: {differ_single})"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"figures": figures, "differ": differ, "cpus": os.cpu_count()}, indent=2)
        )


if __name__ == "__main__":
    main()
