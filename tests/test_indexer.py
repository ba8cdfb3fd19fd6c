"""Indexing runs on real files: incremental updates, duplicates, reports and locking."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from newssearch import IndexLocked, IndexOptions, IndexReport, NewsIndex, index_stories
from newssearch.engine.store import run_lock

from .conftest import DATA, WriteStory, file_count, story_text


def balanced(report: IndexReport) -> bool:
    indexed = report.added + report.updated + report.unchanged
    return indexed + len(report.rejected) + len(report.duplicates) == report.matched


def touch_later(path: Path, seconds: int = 10) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 10**9))


@pytest.fixture
def index_path(tmp_path: Path) -> str:
    return str(tmp_path / "index")


def test_data_dir_indexes_every_file(index_path: str) -> None:
    report = index_stories(index_path, [str(DATA)])
    assert report.added == file_count(DATA) - 1  # NOTICE.md is not a story
    assert report.rejected == () and report.duplicates == ()
    assert balanced(report)
    again = index_stories(index_path, [str(DATA)])
    assert (again.unchanged, again.added, again.updated) == (report.added, 0, 0)
    with NewsIndex.open(index_path) as ix:
        assert ix.stats().stories == report.added


def test_changed_removed_and_added_files(write_story: WriteStory, index_path: str) -> None:
    a = write_story("a.txt", code="1", headline="Cocoa talks")
    b = write_story("b.txt", code="2", headline="Coffee quotas")
    root = str(a.parent)
    assert index_stories(index_path, [root]).added == 2

    write_story("a.txt", code="1", headline="Cocoa talks collapse")
    touch_later(a)
    b.unlink()
    write_story("c.txt", code="3", headline="Tin council")
    report = index_stories(index_path, [root])
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 1, 1, 0)
    assert balanced(report)
    with NewsIndex.open(index_path) as ix:
        assert ix.get("2") is None
        story = ix.get("1")
        assert story is not None and story.headline == "Cocoa talks collapse"
        assert ix.search("collapse").total == 1
        assert ix.stats().stories == 2


def test_story_saved_under_another_name_replaces(write_story: WriteStory, index_path: str) -> None:
    old = write_story("old.txt", code="7", headline="First version")
    index_stories(index_path, [str(old.parent)])
    new = write_story("new.txt", code="7", headline="Second version")
    touch_later(new)
    old.unlink()
    report = index_stories(index_path, [str(old.parent)])
    assert (report.added, report.removed, report.duplicates) == (1, 1, ())
    with NewsIndex.open(index_path) as ix:
        assert ix.stats().stories == 1
        story = ix.get("7")
        assert story is not None and story.headline == "Second version"


def test_two_live_files_with_one_code_keep_the_newest(
    write_story: WriteStory, index_path: str
) -> None:
    a = write_story("a.txt", code="9", headline="Older copy")
    b = write_story("b.txt", code="9", headline="Newer copy")
    touch_later(b)
    report = index_stories(index_path, [str(a.parent)])
    assert report.added == 1
    assert [(Path(d.path).name, d.code, Path(d.kept).name) for d in report.duplicates] == [
        ("a.txt", "9", "b.txt")
    ]
    assert balanced(report)
    again = index_stories(index_path, [str(a.parent)])
    assert (again.unchanged, len(again.duplicates)) == (1, 1)
    # the kept copy goes away: the other one takes the code over
    b.unlink()
    third = index_stories(index_path, [str(a.parent)])
    assert (third.added, third.removed, third.duplicates) == (1, 1, ())
    with NewsIndex.open(index_path) as ix:
        story = ix.get("9")
        assert story is not None and story.headline == "Older copy"


def test_a_new_file_with_an_indexed_code_competes_by_date(
    write_story: WriteStory, index_path: str
) -> None:
    kept = write_story("kept.txt", code="5", headline="Indexed first")
    root = str(kept.parent)
    index_stories(index_path, [root])
    older = write_story("older.txt", code="5", headline="Older copy")
    os.utime(older, ns=(0, kept.stat().st_mtime_ns - 10**9))
    report = index_stories(index_path, [root])
    assert (report.added, report.unchanged) == (0, 1)
    assert [(Path(d.path).name, Path(d.kept).name) for d in report.duplicates] == [
        ("older.txt", "kept.txt")
    ]
    newer = write_story("newer.txt", code="5", headline="Newer copy")
    touch_later(newer, 20)
    report = index_stories(index_path, [root])
    assert (report.added, report.unchanged) == (1, 0)
    assert sorted((Path(d.path).name, Path(d.kept).name) for d in report.duplicates) == [
        ("kept.txt", "newer.txt"),
        ("older.txt", "newer.txt"),
    ]
    assert balanced(report)
    with NewsIndex.open(index_path) as ix:
        assert ix.stats().stories == 1
        story = ix.get("5")
        assert story is not None and story.headline == "Newer copy"
    again = index_stories(index_path, [root])
    assert (again.unchanged, len(again.duplicates)) == (1, 2)


def test_a_code_held_under_another_root_goes_to_the_newer_file(
    write_story: WriteStory, index_path: str
) -> None:
    first = write_story("one/a.txt", code="8", headline="Under the first root")
    index_stories(index_path, [str(first.parent)])
    second = write_story("two/b.txt", code="8", headline="Under the second root")
    os.utime(second, ns=(0, first.stat().st_mtime_ns - 10**9))
    report = index_stories(index_path, [str(second.parent)])
    assert [(Path(d.path).name, Path(d.kept).name) for d in report.duplicates] == [
        ("b.txt", "a.txt")
    ]
    touch_later(second, 20)
    report = index_stories(index_path, [str(second.parent)])
    assert (report.added, report.duplicates) == (1, ())
    with NewsIndex.open(index_path) as ix:
        story = ix.get("8")
        assert story is not None and story.headline == "Under the second root"


def test_rejected_files_are_reported_and_the_rest_indexed(
    write_story: WriteStory, index_path: str
) -> None:
    good = write_story("good.txt")
    write_story("empty.txt", text="")
    (good.parent / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    write_story("nohead.txt", text="Thursday 26 February 1987 - 15:01\n")
    write_story("nodate.txt", date_line=None, code="44")
    report = index_stories(index_path, [str(good.parent)])
    reasons = {Path(r.path).name: r.reason for r in report.rejected}
    assert reasons == {
        "empty.txt": "empty file",
        "image.txt": "binary file, not text",
        "nohead.txt": "no headline",
    }
    assert [(Path(w.path).name, w.message) for w in report.warnings] == [
        ("nodate.txt", "no date line; indexed without a date")
    ]
    assert report.added == 2 and balanced(report)
    # an unchanged tree parses nothing, and still reports what it skipped
    again = index_stories(index_path, [str(good.parent)])
    assert {Path(r.path).name for r in again.rejected} == set(reasons)
    assert again.unchanged == 2 and balanced(again)


def test_reports_list_files_in_path_order(write_story: WriteStory, index_path: str) -> None:
    # enough files in two directories that the order the file system lists them in
    # (the walk's) is not path order
    for n in range(16):
        folder = "ab"[n % 2]
        write_story(f"{folder}/{n:02}-empty.txt", text="")
        write_story(f"{folder}/{n:02}-same-code.txt", code="7")
        write_story(f"{folder}/{n:02}-no-date.txt", date_line=None, code=str(100 + n))
    root = str(Path(index_path).parent / "stories")
    first = index_stories(index_path, [root])
    again = index_stories(index_path, [root])  # what it skipped comes from the side file
    for found, count in (
        (first.rejected, 16),
        (first.duplicates, 15),
        (first.warnings, 16),
        (again.rejected, 16),
        (again.duplicates, 15),
    ):
        paths = [item.path for item in found]
        assert len(paths) == count and paths == sorted(paths)


def test_glob_selects_files(write_story: WriteStory, index_path: str) -> None:
    write_story("a.story", code="1")
    write_story("b.txt", code="2")
    report = index_stories(
        index_path, [str(write_story("c.txt", code="3").parent)], IndexOptions(glob="*.story")
    )
    assert report.matched == 1 and report.added == 1


def test_nested_directories_and_no_index_roots_rerun(
    write_story: WriteStory, index_path: str
) -> None:
    write_story("2024/04/a.txt", code="1")
    write_story("2024/05/b.txt", code="2")
    root = write_story("top.txt", code="3").parent
    assert index_stories(index_path, [str(root)]).added == 3
    with NewsIndex.open(index_path) as ix:
        assert ix.roots() == (os.path.realpath(root),)
        again = ix.index()  # no paths: the roots indexed before
    assert again.unchanged == 3


def test_full_rebuild(write_story: WriteStory, index_path: str) -> None:
    root = write_story("a.txt").parent
    index_stories(index_path, [str(root)])
    report = index_stories(index_path, [str(root)], IndexOptions(full=True))
    assert (report.added, report.unchanged) == (1, 0)


def test_second_writer_gets_the_lock_error(write_story: WriteStory, index_path: str) -> None:
    root = write_story("a.txt").parent
    index_stories(index_path, [str(root)])
    with run_lock(index_path), pytest.raises(IndexLocked, match="locked by another writer"):
        index_stories(index_path, [str(root)])
    # released: the next run goes through
    assert index_stories(index_path, [str(root)]).unchanged == 1


def test_interrupted_run_keeps_committed_batches(
    write_story: WriteStory, index_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newssearch.stories import parse as stories

    for n in range(1, 8):
        write_story(f"{n}.txt", code=str(n), headline=f"Story number {n}")
    root = str(write_story("1.txt", code="1", headline="Story number 1").parent)
    real_read = stories.read_story
    calls = 0

    def failing_read(path: str, rel: str, **options: Any) -> stories.ParsedStory:
        nonlocal calls
        calls += 1
        if calls == 5:
            raise KeyboardInterrupt
        return real_read(path, rel, **options)

    monkeypatch.setattr(stories, "read_story", failing_read)
    with pytest.raises(KeyboardInterrupt):
        index_stories(index_path, [root], IndexOptions(batch_size=3))
    with NewsIndex.open(index_path) as ix:
        assert ix.stats().stories == 3  # one whole batch, nothing of the next
    monkeypatch.setattr(stories, "read_story", real_read)
    report = index_stories(index_path, [root])
    assert (report.unchanged, report.added) == (3, 4)


def segment_sizes(index_path: str) -> list[tuple[int, int]]:
    from whoosh import index

    return [(s.doc_count_all(), s.deleted_count()) for s in index.open_dir(index_path)._segments()]


@pytest.mark.parametrize("full", [False, True], ids=["committed", "staged"])
def test_a_large_run_merges_segments_of_a_size_a_few_at_a_time(
    data_index: str, index_path: str, monkeypatch: pytest.MonkeyPatch, full: bool
) -> None:
    from newssearch.engine import writers
    from newssearch.indexing import run

    # levels of 1-2, 3-8, 9-26, 27-80 ... stories; a run of batches of 20 in two workers
    monkeypatch.setattr(writers, "MERGE_FLOOR", 1)
    monkeypatch.setattr(writers, "MERGE_FACTOR", 3)
    monkeypatch.setattr(run, "PARALLEL_FROM", 1)
    report = index_stories(index_path, [str(DATA)], IndexOptions(batch_size=20, jobs=2, full=full))
    sizes = [live - deleted for live, deleted in segment_sizes(index_path)]
    assert sum(sizes) == report.added
    levels = [next(k for k in range(20) if n < 3 ** (k + 1)) for n in sizes]
    assert all(levels.count(level) < 3 for level in levels), sizes
    assert len(sizes) < report.added // 20  # two segments a batch, had none been merged
    queries = ["oil prices", '"interest rates"', "gaza truce", "cocoa OR coffee"]
    with NewsIndex.open(index_path) as merged, NewsIndex.open(data_index) as whole:
        for q in queries:  # merges keep every field's total length: the same scores
            got, expected = merged.search(q, limit=400), whole.search(q, limit=400)
            assert got.total == expected.total > 0
            assert [(h.code, round(h.score, 9)) for h in got.hits] == [
                (h.code, round(h.score, 9)) for h in expected.hits
            ]


def test_updated_stories_leave_no_empty_segments(write_story: WriteStory, index_path: str) -> None:
    for n in range(1, 4):
        write_story(f"{n}.txt", code=str(n), headline=f"Story number {n}")
    root = str(write_story("1.txt", code="1", headline="Story number 1").parent)
    index_stories(index_path, [root])
    for version in range(1, 5):
        touch_later(write_story("3.txt", code="3", headline=f"Version {version}"), version)
        assert index_stories(index_path, [root]).updated == 1
    sizes = segment_sizes(index_path)
    # the first segment keeps 1 and 2; each later one held story 3 until the next run
    assert sizes == [(3, 1), (1, 0)]
    with NewsIndex.open(index_path) as ix:
        assert ix.stats().stories == 3
        assert [h.code for h in ix.search("version").hits] == ["3"]
        assert ix.search("version 4").total == 1


@pytest.mark.parametrize("staging", [False, True], ids=["committed", "staged"])
def test_a_worker_that_gets_no_job_leaves_no_empty_segment(index_path: str, staging: bool) -> None:
    """Four workers for four one-story jobs: the first ones up take every job. Those that
    got none wrote empty segments, which the commit listed, and the next run found no
    column file in them and called the index damaged."""
    from whoosh import writing

    from newssearch.engine import store
    from newssearch.engine.codec import NewsCodec
    from newssearch.engine.contents import read_contents
    from newssearch.engine.parallel import SafeMpWriter

    with store.run_lock(index_path):
        ix = store.create_index(index_path)
    writer = SafeMpWriter(ix, 4, batchsize=1, codec=NewsCodec())
    writer.staging = staging
    for n in range(4):
        writer.add_document(code=str(n), headline="Cocoa", body="", path=f"/x/{n}", sig="1:1")
    writer.commit(mergetype=writing.NO_MERGE)
    segments = writer.staged if staging else ix._segments()
    sizes = [s.doc_count_all() for s in segments]
    assert sum(sizes) == 4 and 0 not in sizes, sizes
    if not staging:
        assert len(read_contents(ix).sig) == 4
    ix.close()


def write_drafts(
    write_story: WriteStory, numbers: Iterable[int], draft: str, *, later: bool = False
) -> str:
    """Story n as `n.txt` with code n, headlined "<draft> draft n" (dated later than
    before when `later`); returns their directory."""
    root = ""
    for n in numbers:
        path = write_story(f"{n}.txt", code=str(n), headline=f"{draft} draft {n}")
        if later:
            touch_later(path)
        root = str(path.parent)
    return root


def test_updates_delete_old_documents_after_a_merge_renumbers_them(
    write_story: WriteStory, index_path: str
) -> None:
    root = write_drafts(write_story, range(1, 7), "First")
    index_stories(index_path, [root])
    write_drafts(write_story, range(1, 7), "Second", later=True)
    # A commit per story: the fifth merges the first segment, which still holds story 6,
    # into a new one.
    report = index_stories(index_path, [root], IndexOptions(batch_size=1))
    assert report.updated == 6
    assert sum(live - deleted for live, deleted in segment_sizes(index_path)) == 6
    with NewsIndex.open(index_path) as ix:
        assert ix.search("first").total == 0
        assert ix.search("second").total == 6


def test_an_update_deletes_every_document_of_its_code(
    write_story: WriteStory, index_path: str
) -> None:
    from newssearch.engine import store
    from newssearch.engine.writers import new_writer

    root = write_drafts(write_story, range(1, 4), "First")
    index_stories(index_path, [root])
    ix = store.open_index(index_path)
    with new_writer(ix) as w:  # more documents with code 2, as no run would write
        for n in range(2):
            w.add_document(code="2", headline="Stray copy", body="", path=f"/x/{n}", sig="1:1")
    ix.close()
    write_drafts(write_story, [2], "Second", later=True)
    assert index_stories(index_path, [root]).updated == 1
    with NewsIndex.open(index_path) as ix2:
        assert ix2.search("stray").total == 0
        assert ix2.search("draft").total == 3


def test_create_refuses_a_directory_of_other_files(tmp_path: Path) -> None:
    from newssearch import InputError

    shutil.copytree(DATA / "reuters", tmp_path / "stories")
    with pytest.raises(InputError, match="holds no newssearch index"):
        NewsIndex.create(str(tmp_path / "stories"))
    assert file_count(tmp_path / "stories") == file_count(DATA / "reuters")


def test_story_text_helper_round_trips() -> None:
    assert story_text().splitlines()[4] == "Story Code : 1"


def test_one_index_object_sees_later_commits(write_story: WriteStory, index_path: str) -> None:
    root = write_story("a.txt", code="1", headline="Cocoa talks").parent
    with NewsIndex.create(index_path) as ix, NewsIndex.open(index_path) as other:
        assert ix.stats().stories == 0  # a searcher on an index with no segments yet
        ix.index([str(root)])
        assert ix.search("cocoa").total == 1
        assert other.search("cocoa").total == 1
        write_story("b.txt", code="2", headline="Cocoa prices")
        other.index([str(root)])
        assert ix.search("cocoa").total == 2
        other.index([str(root)], IndexOptions(full=True))
        assert ix.search("cocoa").total == 2


def test_worker_processes_do_not_run_the_calling_script_again(tmp_path: Path) -> None:
    import subprocess
    import sys

    from newssearch.indexing.run import PARALLEL_FROM

    root = tmp_path / "stories"
    root.mkdir()
    for n in range(PARALLEL_FROM):
        (root / f"{n}.txt").write_text(story_text(headline=f"Story {n}", code=str(n + 1)))
    runs = tmp_path / "runs.txt"
    script = tmp_path / "embed.py"  # no `if __name__ == "__main__":` guard, on purpose
    script.write_text(
        "from newssearch import IndexOptions, index_stories\n"
        f"with open({str(runs)!r}, 'a') as f:\n"
        "    f.write('run\\n')\n"
        f"report = index_stories({str(tmp_path / 'ix')!r}, [{str(root)!r}], "
        "IndexOptions(jobs=2))\n"
        "print(report.added)\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(PARALLEL_FROM)]
    assert runs.read_text() == "run\n"


def test_a_code_held_twice_is_replaced_everywhere(index_path: str) -> None:
    """An index can hold a story code twice (written by a release that allowed it, or by
    hand through Whoosh). The index's contents keep every place of such a code, so
    replacing the story deletes each old document, in every segment, and not a
    neighbour's."""
    from whoosh import writing

    from newssearch.engine import store, writers
    from newssearch.engine.contents import read_contents

    with store.run_lock(index_path):
        ix = store.create_index(index_path)
    for batch in ([("a", "7"), ("b", "8"), ("c", "7")], [("d", "7"), ("e", "9")]):
        writer = writers.new_writer(ix)
        for name, code in batch:
            writer.add_document(code=code, headline="Cocoa", body="", path=f"/x/{name}", sig="1:1")
        writer.commit(mergetype=writing.NO_MERGE)
    known = read_contents(ix)
    known.read_codes(ix)
    assert sorted(known.paths("7")) == ["/x/a", "/x/c", "/x/d"] and len(known.places("7")) == 3
    assert known.paths("8") == ["/x/b"] and known.paths("6") == []
    assert known.codes({"/x/c", "/x/e", "/x/nowhere"}) == {"/x/c": "7", "/x/e": "9"}
    batches = writers.BatchWriter(ix, size=10, procs=1, known=known)
    batches.add({"code": "7", "headline": "Cocoa", "body": "", "path": "/x/f", "sig": "2:2"})
    batches.commit()
    assert sorted(read_contents(ix).sig) == ["/x/b", "/x/e", "/x/f"]
    ix.close()
