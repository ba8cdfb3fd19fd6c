"""Sharded search on a Dask LocalCluster on loopback: the same answers as one index.

Every test here starts real worker processes; the shards are real newssearch indexes
built from data/ (and, in `make test-long`, from the Reuters corpus with its 60
benchmark queries).
"""

from __future__ import annotations

import os
import shutil
import signal
import time
import zlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from newssearch import IndexNotFound, NewsIndex, index_stories

from .conftest import DATA, SHARED

distributed = pytest.importorskip("distributed", reason="Dask's distributed is not installed")

QUERIES = SHARED / "bench" / "reuters-queries.tsv"
SHARD_NAMES = ("a", "b", "c")


def split(corpus: Path, target: Path) -> dict[str, Path]:
    """The story files of `corpus` in three folders, by a hash of their names."""
    folders = {name: target / name for name in SHARD_NAMES}
    for folder in folders.values():
        folder.mkdir(parents=True)
    for path in sorted(corpus.rglob("*.txt")):
        name = SHARD_NAMES[zlib.crc32(path.name.encode()) % len(SHARD_NAMES)]
        shutil.copy(path, folders[name] / path.name)
    return folders


class Cluster:
    """A LocalCluster with one shard on each of its three workers."""

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
        self.pids: dict[str, int] = {}
        for (name, path), worker in zip(shards.items(), workers, strict=True):
            self.client.run(open_shard, name, path, workers=[worker])
            self.pids[name] = self.client.run(os.getpid, workers=[worker])[worker]
        register(self.client, list(shards))
        self.address = self.local.scheduler_address

    def close(self) -> None:
        self.client.close()
        self.local.close()


@pytest.fixture(scope="module")
def data_shards(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cluster, str]]:
    """data/ in three shards on a cluster, and one index of all of it."""
    root = tmp_path_factory.mktemp("cluster")
    whole = str(root / "whole")
    index_stories(whole, [str(DATA)])
    shards = {}
    for name, folder in split(DATA, root / "stories").items():
        shards[name] = str(root / f"shard-{name}")
        index_stories(shards[name], [str(folder)])
    cluster = Cluster(shards)
    yield cluster, whole
    cluster.close()


def same_answers(single: NewsIndex, cluster: object, query: str, **options: object) -> None:
    want = single.search(query, **options)  # type: ignore[arg-type]
    got = cluster.search(query, **options)  # type: ignore[attr-defined]
    assert (got.total, got.partial_total) == (want.total, want.partial_total), query
    assert [h.code for h in got.hits] == [h.code for h in want.hits], query
    for g, w in zip(got.hits, want.hits, strict=True):
        assert abs(g.score - w.score) <= 1e-9, (query, g.code)
        assert (g.rank, g.partial, g.snippet) == (w.rank, w.partial, w.snippet), query


DATA_QUERIES = [
    ("cocoa", {}),
    ("oil prices", {"limit": 20}),
    ("oil prices", {"limit": 5, "page": 3}),
    ("gaza truce", {}),
    ("bank of japan intervention", {}),
    ('"trade deficit"', {}),
    ("pric*", {}),
    ("oil prices", {"sort": "newest", "limit": 15}),
    ("cocoa OR coffee", {"sort": "oldest"}),
    ("coffee", {"since": datetime(1987, 3, 1), "until": datetime(1987, 3, 31, 23, 59)}),
    ("what is happening to the price of crude oil in the gulf", {}),
    ("oil", {"recent": True}),
    ("xqzvw", {}),  # on no shard: nothing for feedback to learn from
]


@pytest.mark.parametrize(("query", "options"), DATA_QUERIES)
def test_shards_answer_as_one_index(
    data_shards: tuple[Cluster, str], query: str, options: dict[str, object]
) -> None:
    from newssearch.cluster.client import ClusterIndex

    cluster, whole = data_shards
    with NewsIndex.open(whole) as single, ClusterIndex(cluster.address) as index:
        same_answers(single, index, query, **options)


def test_show_similar_timeline_and_stats_across_shards(data_shards: tuple[Cluster, str]) -> None:
    from newssearch.cluster.client import ClusterIndex

    cluster, whole = data_shards
    with NewsIndex.open(whole) as single, ClusterIndex(cluster.address) as index:
        got, want = index.get("1129250"), single.get("1129250")
        assert got is not None and want is not None
        assert replace(got, path="") == replace(want, path="")  # the shards hold copies
        assert index.get("999999999") is None
        like, like_here = single.similar("1129250", limit=8), index.similar("1129250", limit=8)
        assert like is not None and like_here is not None
        assert [h.code for h in like_here.hits] == [h.code for h in like.hits]
        assert like_here.total == like.total
        for query in ("cocoa", "oil prices"):
            assert index.timeline(query) == single.timeline(query)
            assert index.timeline(query, by="week") == single.timeline(query, by="week")
        got_stats, want_stats = index.stats(), single.stats()
        assert (got_stats.stories, got_stats.per_year) == (want_stats.stories, want_stats.per_year)
        assert set(index.shards()) == set(SHARD_NAMES)


def test_a_killed_worker_is_named_within_the_timeout(
    tmp_path: Path,
) -> None:
    from newssearch.cluster.client import ClusterIndex, ShardDown

    shards = {}
    for name, folder in split(DATA / "reuters", tmp_path / "stories").items():
        shards[name] = str(tmp_path / f"shard-{name}")
        index_stories(shards[name], [str(folder)])
    cluster = Cluster(shards)
    try:
        with ClusterIndex(cluster.address, timeout=3) as index:
            assert index.search("cocoa").total > 0
            os.kill(cluster.pids["b"], signal.SIGKILL)
            started = time.monotonic()
            with pytest.raises(ShardDown, match="shard b "):
                index.search("cocoa")
            assert time.monotonic() - started < 10  # the timeout, not a hang
        with ClusterIndex(cluster.address, timeout=3, allow_partial=True) as index:
            partial = index.search("cocoa")
            assert partial.unavailable == ("b",) and partial.total > 0
    finally:
        cluster.close()


def test_no_scheduler_is_one_line_of_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    """No scheduler at the address: said so, with no advice to build an index there."""
    import typer

    from newssearch.cli.common import reported_errors
    from newssearch.cluster.client import ClusterIndex

    with pytest.raises(IndexNotFound), ClusterIndex("tcp://127.0.0.1:9", timeout=1):
        pass
    with pytest.raises(typer.Exit) as ended, reported_errors():
        ClusterIndex("tcp://127.0.0.1:9", timeout=1)
    assert ended.value.exit_code == 2
    err = capsys.readouterr().err
    assert err == "Error: no Dask scheduler answers at tcp://127.0.0.1:9 (waited 1 s)\n"
    bad = cli(["stats", "--cluster", "nonsense://somewhere"])
    assert bad.exit_code == 2 and bad.stdout == ""
    assert bad.stderr.startswith("Error: nonsense://somewhere is not a Dask scheduler's address")
    assert "internal error" not in bad.stderr and bad.stderr.count("\n") == 1


def test_a_cluster_without_shards_says_how_to_start_one() -> None:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=0, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as empty:
        address = empty.scheduler_address
        ran = cli(["stats", "--cluster", address])
    assert (ran.exit_code, ran.stdout) == (2, "")
    assert ran.stderr == (
        f"Error: the cluster at {address} holds no shard; start workers with "
        f"'newssearch shard NAME=INDEX --scheduler {address}'\n"
    )


def cli(args: list[str]) -> Any:
    """`newssearch ARGS`, run in this process: exit code, stdout and stderr apart."""
    from typer.testing import CliRunner

    from newssearch.cli import app

    return CliRunner().invoke(app, args)


def kill(cluster: Cluster, *names: str) -> None:
    """Kill the workers holding shards `names`, and wait until the scheduler knows."""
    from newssearch.cluster.client import ClusterIndex

    for name in names:
        os.kill(cluster.pids[name], signal.SIGKILL)
    with ClusterIndex(cluster.address) as index:
        for _ in range(600):
            if all(index.shards()[name] is None for name in names):
                return
            time.sleep(0.1)
    raise AssertionError(f"the scheduler still has workers for shards {names}")


@pytest.fixture(scope="module")
def reuters_shards(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The Reuters stories of data/ in three shard indexes, by name."""
    root = tmp_path_factory.mktemp("reuters-shards")
    shards = {}
    for name, folder in split(DATA / "reuters", root / "stories").items():
        shards[name] = str(root / f"shard-{name}")
        index_stories(shards[name], [str(folder)])
    return shards


@pytest.fixture(scope="module")
def one_down(reuters_shards: dict[str, str]) -> Iterator[Cluster]:
    """The Reuters shards on a cluster whose worker holding shard b was killed."""
    cluster = Cluster(reuters_shards)
    try:
        kill(cluster, "b")
        yield cluster
    finally:
        cluster.close()


def a_code(index: str) -> str:
    """The code of a story of the index at `index`."""
    with NewsIndex.open(index) as ix:
        return ix.search("said", sort="oldest", limit=1).hits[0].code


def test_partial_stats_name_the_shards_left_out(
    one_down: Cluster, reuters_shards: dict[str, str]
) -> None:
    from newssearch.cluster.client import ClusterIndex

    with ClusterIndex(one_down.address, allow_partial=True) as index:
        partial = index.stats()
    assert partial.unavailable == ("b",)
    held = 0
    for name in ("a", "c"):
        with NewsIndex.open(reuters_shards[name]) as shard:
            held += shard.stats().stories
    assert partial.stories == held
    as_json = cli(["stats", "--cluster", one_down.address, "--allow-partial", "-f", "json"])
    assert as_json.exit_code == 0, as_json.output
    assert as_json.stdout.startswith('{\n  "unavailable_shards": [\n    "b"\n  ],\n')
    table = cli(["stats", "--cluster", one_down.address, "--allow-partial"])
    assert table.exit_code == 0, table.output
    assert "Left out, being down: shard b (partial results)" in table.stdout
    timeline = cli(["timeline", "cocoa", "--cluster", one_down.address, "--allow-partial"])
    assert "Left out, being down: shard b (partial results)" in timeline.stdout


def test_a_story_a_shard_down_may_hold_is_not_called_missing(
    one_down: Cluster, reuters_shards: dict[str, str]
) -> None:
    """show and similar: a story on a live shard is found; one that is not may be on the
    shard that is down, which the error names (exit 2, not 1 for 'no story')."""
    from newssearch.cluster.client import ClusterIndex, ShardDown

    on_a, on_b = a_code(reuters_shards["a"]), a_code(reuters_shards["b"])
    address = one_down.address
    with ClusterIndex(address, allow_partial=True) as index:
        story = index.get(on_a)
        assert story is not None and story.code == on_a
        like = index.similar(on_a, limit=3)
        assert like is not None and like.unavailable == ("b",)
        with pytest.raises(ShardDown, match=f"no story with code {on_b} .* shard b "):
            index.get(on_b)
        with pytest.raises(ShardDown, match=f"no story with code {on_b} .* shard b "):
            index.similar(on_b)
    shown = cli(["show", on_a, "--cluster", address, "--allow-partial", "-f", "json"])
    assert shown.exit_code == 0, shown.output
    for command in ("show", "similar"):
        missing = cli([command, on_b, "--cluster", address, "--allow-partial"])
        assert (missing.exit_code, missing.stdout) == (2, ""), command
        assert missing.stderr == (
            f"Error: no story with code {on_b} on the shards that answered; shard b of the "
            f"cluster at {address} is down (no worker holds it) and may hold it\n"
        )


def test_a_shard_down_is_one_line_with_no_index_hint(one_down: Cluster) -> None:
    for args in (["search", "oil"], ["stats"], ["show", "1"]):
        ran = cli([*args, "--cluster", one_down.address])
        assert (ran.exit_code, ran.stdout) == (2, ""), args
        assert ran.stderr == (
            f"Error: shard b of the cluster at {one_down.address} is down (no worker holds "
            "it); search without it with --allow-partial\n"
        ), args


def test_with_every_shard_down_allow_partial_is_still_an_error(
    reuters_shards: dict[str, str],
) -> None:
    """Nothing left to answer: the shards are named (exit 2), never an empty answer."""
    from newssearch.cluster.client import ClusterIndex, ShardDown

    cluster = Cluster(reuters_shards)
    try:
        kill(cluster, "a", "b", "c")
        with ClusterIndex(cluster.address, allow_partial=True) as index:
            with pytest.raises(ShardDown, match="shards a, b, c "):
                index.search("oil")
            with pytest.raises(ShardDown, match="shards a, b, c "):
                index.stats()
        for args in (["search", "oil"], ["stats"], ["show", "1"], ["similar", "1"],
                     ["timeline", "oil"]):  # fmt: skip
            for partial in ([], ["--allow-partial"]):
                ran = cli([*args, "--cluster", cluster.address, *partial])
                assert (ran.exit_code, ran.stdout) == (2, ""), args
                assert ran.stderr == (
                    f"Error: shards a, b, c of the cluster at {cluster.address} are down "
                    "(no worker holds them): no shard is left to answer\n"
                ), args
    finally:
        cluster.close()


def test_feedback_on_no_story_weighs_no_word() -> None:
    from newssearch.engine.stats import CorpusStats, Frequencies
    from newssearch.searching import feedback, ranking

    nothing = Frequencies(ranking.idf, stats=CorpusStats(0, {}, {}))
    assert feedback.describing_words([], ranking.FEEDBACK_WORDS, nothing) == {}


@pytest.mark.long
def test_reuters_in_three_shards_answers_the_benchmark_as_one_index(
    reuters_dir: Path, tmp_path: Path
) -> None:
    from newssearch.cluster.client import ClusterIndex

    if not QUERIES.exists():
        pytest.skip(f"the benchmark queries are not here ({QUERIES} is missing)")
    whole = str(tmp_path / "whole")
    index_stories(whole, [str(reuters_dir)])
    shards = {}
    for name, folder in split(reuters_dir, tmp_path / "stories").items():
        shards[name] = str(tmp_path / f"shard-{name}")
        index_stories(shards[name], [str(folder)])
    cluster = Cluster(shards)
    try:
        with NewsIndex.open(whole) as single, ClusterIndex(cluster.address) as index:
            for line in QUERIES.read_text().splitlines():
                text, since, until = ([*line.split("\t")[1:], "", ""])[:3]
                options = {
                    "since": datetime.fromisoformat(since) if since else None,
                    "until": datetime.fromisoformat(until) if until else None,
                }
                same_answers(single, index, text, **options)
    finally:
        cluster.close()


def test_the_command_line_holds_shards_and_searches_them(
    data_shards: tuple[Cluster, str], tmp_path: Path
) -> None:
    """`newssearch shard` joins a scheduler with a shard of its own, and `search
    --cluster` finds its stories beside the others'."""
    import json
    import subprocess
    import sys

    from typer.testing import CliRunner

    from newssearch.cli import app

    cluster, whole = data_shards
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "okapi.txt").write_text(
        "Monday 2 March 1987 - 10:00\n\nOkapi seen in Bahia\n\nStory Code : 999001\n"
        "An okapi was seen near the cocoa farms of Bahia.\n",
        encoding="utf-8",
    )
    index_stories(str(tmp_path / "ix"), [str(extra)])
    worker = subprocess.Popen(
        [sys.executable, "-m", "newssearch", "shard", f"okapi={tmp_path / 'ix'}",
         "--scheduler", cluster.address, "--threads", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert worker.stdout is not None
        assert "Holding okapi" in worker.stdout.readline()
        runner = CliRunner()
        found = runner.invoke(app, ["search", "okapi", "--cluster", cluster.address, "-f", "json"])
        assert found.exit_code == 0, found.output
        assert [h["code"] for h in json.loads(found.stdout)["hits"]] == ["999001"]
        cocoa = runner.invoke(app, ["search", "cocoa", "--cluster", cluster.address, "-f", "json"])
        with NewsIndex.open(whole) as single:
            assert json.loads(cocoa.stdout)["total"] == single.search("cocoa").total + 1
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    bad = CliRunner().invoke(app, ["shard", "nonsense", "--scheduler", cluster.address])
    assert bad.exit_code == 2 and "NAME=INDEX" in bad.stderr


def test_the_web_page_over_a_partial_cluster_names_the_shard_left_out(one_down: Cluster) -> None:
    from starlette.testclient import TestClient

    from newssearch.cluster.client import ClusterIndex
    from newssearch.web.app import create_app

    with ClusterIndex(one_down.address, allow_partial=True) as index:
        app = create_app(one_down.address, index=index)
        with TestClient(app) as client:
            page = client.get("/", params={"q": "cocoa"})
            similar = client.get("/api/search", params={"q": "cocoa"})
    assert page.status_code == 200
    assert "Left out, being down: shard b (partial results)" in page.text
    assert similar.json()["unavailable_shards"] == ["b"]
