"""The fast indexing path and the compact codec agree with Whoosh's own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import fields, index, qparser

from newssearch.engine import codec
from newssearch.engine.blocks import pack, unpack
from newssearch.engine.codec import NewsCodec
from newssearch.engine.fields import (
    decode_positions,
    encode_positions,
    make_analyzer,
    term_positions,
    word_counts,
)
from newssearch.engine.merge import MergingPool
from newssearch.engine.pool import news_writer
from newssearch.engine.writers import NewsWriter
from newssearch.stories.parse import read_story
from tests.conftest import DATA

ANALYZER = make_analyzer()

# Words, stop words, short words, numbers with dots, Unicode letters and digits, and
# the punctuation the tokenizer splits on.
text = st.lists(
    st.one_of(
        st.sampled_from(["the", "a", "Oil", "prices", "U.S.", "1.5", "x", "İstanbul", "*"]),
        st.text(min_size=1, max_size=12),
    ),
    max_size=60,
).map(" ".join)


def analyzer_positions(value: str) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for token in ANALYZER(value, positions=True):
        found.setdefault(token.text, []).append(token.pos)
    return found


@settings(max_examples=500, deadline=None)
@given(value=text)
def test_fast_path_makes_the_analyzers_words_and_positions(value: str) -> None:
    assert term_positions(value) == analyzer_positions(value)


@settings(max_examples=300, deadline=None)
@given(value=text)
def test_word_counts_are_the_fast_paths_frequencies(value: str) -> None:
    assert word_counts(value) == {w: len(at) for w, at in term_positions(value).items()}


def test_fast_path_matches_the_analyzer_on_every_sample_story() -> None:
    for path in sorted((DATA).rglob("*.txt")):
        story = read_story(str(path), path.name).story
        for value in (story.headline, story.body):
            assert term_positions(value) == analyzer_positions(value), path


@given(positions=st.lists(st.integers(0, 100_000), min_size=1, unique=True).map(sorted))
def test_positions_round_trip(positions: list[int]) -> None:
    encoded = encode_positions(positions)
    assert decode_positions(encoded) == positions
    if positions[-1] < 255:
        assert len(encoded) == len(positions)


@given(numbers=st.lists(st.integers(0, 2**32 - 1)))
def test_pack_round_trip(numbers: list[int]) -> None:
    packed = unpack(pack(numbers))
    assert list(packed) == numbers
    top = max(numbers, default=0)
    assert packed.typecode == ("B" if top < 2**8 else "H" if top < 2**16 else "I")


def all_postings(reader: Any, fieldnames: list[str]) -> list[object]:
    found: list[object] = []
    for fieldname in fieldnames:
        for term in reader.lexicon(fieldname):
            m = reader.postings(fieldname, term)
            postings = []
            while m.is_active():
                postings.append((m.id(), m.weight(), m.value()))
                m.next()
            info = reader.term_info(fieldname, term)
            stats = [
                info.weight(),
                info.doc_frequency(),
                info.min_length(),
                info.max_length(),
                info.max_weight(),
                info.min_id(),
                info.max_id(),
            ]
            found.append((fieldname, term, stats, postings))
    return found


def merging_writer(ix: Any, news_codec: NewsCodec) -> Any:
    writer = NewsWriter(ix, codec=news_codec)
    writer.pool = MergingPool()
    return writer


def test_compact_codec_answers_like_whooshs_own(tmp_path: Path) -> None:
    schema = fields.Schema(
        body=fields.TEXT(analyzer=ANALYZER, stored=True),
        tag=fields.KEYWORD(stored=True, scorable=True),
        spelled=fields.TEXT(spelling=True),
    )
    stories = [read_story(str(p), p.name).story for p in sorted(DATA.rglob("*.txt"))]
    writers: dict[str, Callable[[Any], Any]] = {
        "w3": lambda ix: ix.writer(),
        "news": lambda ix: ix.writer(codec=NewsCodec()),
        "pool": lambda ix: news_writer(ix, codec=NewsCodec()),  # postings kept in memory
        # many blocks a word, as the words of a large archive have
        "news-blocks": lambda ix: ix.writer(codec=NewsCodec(blocklimit=4)),
        "pool-blocks": lambda ix: news_writer(ix, codec=NewsCodec(blocklimit=4)),
    }
    results: list[list[object]] = []
    for name, writer in writers.items():
        target = tmp_path / name
        target.mkdir()
        ix = index.create_in(str(target), schema)
        for half in (stories[::2], stories[1::2]):  # two segments, then a merge
            with writer(ix) as w:
                for story in half:
                    w.add_document(body=story.body, tag=story.code[-1], spelled=story.headline)
        writer(ix).commit(optimize=True)
        parser = qparser.QueryParser("body", schema, group=qparser.OrGroup)
        answers: list[object] = []
        with ix.searcher() as s:
            for q in ["oil prices", '"interest rates"', '"net profit"~3', "tag:1 cocoa", "gaza*"]:
                r = s.search(parser.parse(q), limit=30)
                answers.append(([(h.docnum, round(h.score, 6)) for h in r], len(r)))
            answers.append(sorted(s.reader().lexicon("spelled")))
            answers.append(all_postings(s.reader(), ["body", "tag"]))
        results.append(answers)
    assert all(answers == results[0] for answers in results[1:])
    assert results[0][0] != ([], 0)  # the first query finds stories


@pytest.fixture(params=["blocks of 512", "blocks of 4"])
def block_limit(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Indexes written in this test have the codec's blocks, or many tiny blocks a word
    (as the words of a large archive have: reading skips and joins them)."""
    if request.param == "blocks of 4":
        monkeypatch.setattr(codec, "BLOCK_LIMIT", 4)


@pytest.mark.usefixtures("block_limit")
def test_fast_counting_agrees_with_whoosh_over_segments_and_deletions(tmp_path: Path) -> None:
    import shutil

    from whoosh import query as wq

    from newssearch import IndexOptions, NewsIndex, index_stories
    from newssearch.searching import ranking
    from newssearch.searching.query import expand, parse_query

    root = tmp_path / "stories"
    shutil.copytree(DATA, root)
    target = str(tmp_path / "ix")
    index_stories(target, [str(root)], IndexOptions(batch_size=60))  # several segments
    for path in sorted(root.rglob("*.txt"))[::7]:  # deletions in every segment
        path.unlink()
    index_stories(target, [str(root)], IndexOptions(batch_size=60))
    queries = ["oil prices", "bank of japan", "gaza truce", "cocoa OR coffee", "nothingatall"]
    with NewsIndex.open(target) as ix, ix._view() as view:
        searcher = view.searcher
        scores = ranking.scores(view, None)

        def query_docs(q: Any) -> set[int]:
            found = scores.docs(q)
            assert found is not None, q  # the fast path took it
            return set(found)

        assert len(searcher.leaf_searchers()) > 1
        assert searcher.reader().has_deletions()
        for text in queries:
            parsed = expand(parse_query(text, searcher.schema), view)
            for q in (parsed.all_words, parsed.any_word):
                if q is None:
                    continue
                assert query_docs(q) == set(searcher.docs_for_query(q)), (text, q)
        # three words: the first three kept words of a story, the same out of order, and
        # with the middle one wrong
        first = next(iter(searcher.documents()))["body"]
        words = sorted(term_positions(first).items(), key=lambda item: item[1][0])[:3]
        three = [w for w, _ in words]
        for phrase in (
            wq.Phrase("body", ["oil", "price"]),
            wq.Phrase("body", three),
            wq.Phrase("body", [three[0], three[2], three[1]]),
            wq.Phrase("body", [three[0], three[2], three[2]]),
        ):
            assert query_docs(phrase) == set(searcher.docs_for_query(phrase)), phrase
        assert query_docs(wq.Phrase("body", three))
        assert query_docs(parse_query("oil prices", searcher.schema).any_word)


RANKING_QUERIES = [
    "oil prices",
    "bank of japan intervention",
    "cocoa",
    "gaza truce",
    "coffee OR cocoa",
    "oil AND NOT opec",
    "oil prices -crude",
    "headline:oil body:price",
    "code:1129250",
    "pric*",
    "cocoa~1",
    "quarterly net profit",
    "trade deficit surplus imports exports",
    '"oil prices"',
    '"bank of japan" rates',
    '"interest rates" OR "money supply"',
]


@pytest.mark.usefixtures("block_limit")
def test_fast_ranking_agrees_with_whoosh(tmp_path: Path) -> None:
    from datetime import datetime

    from newssearch import NewsIndex, index_stories
    from newssearch.searching import ranking
    from newssearch.searching.query import expand, parse_query

    data_index = str(tmp_path / "ix")
    index_stories(data_index, [str(DATA)])
    with NewsIndex.open(data_index) as ix, ix._view() as view:
        flt = view.dated_within(datetime(1987, 1, 1), datetime(1987, 3, 1))
        compared = 0
        for text in RANKING_QUERIES:
            parsed = expand(parse_query(text, view.schema), view)
            tiers = [q for q in (parsed.all_words, parsed.any_word) if q is not None]
            for dates in (None, flt):
                for exclude in (None, {0, 5}):
                    scores = ranking.scores(view, dates)
                    fast = ranking.ranked_fast(
                        scores, tiers, within=dates, exclude=exclude, wanted=30
                    )
                    slow = ranking.ranked_whoosh(
                        view, scores, tiers, within=dates, exclude=exclude, wanted=30
                    )
                    assert fast is not None, text
                    assert (fast.counts, fast.tiers) == (slow.counts, slow.tiers), text
                    assert [h.docnum for h in fast.hits] == [h.docnum for h in slow.hits], text
                    for f, s in zip(fast.hits, slow.hits, strict=True):
                        assert abs(f.score - s.score) < 1e-9 * max(1.0, s.score), text
                    compared += len(fast.hits)
        assert compared > 200


@given(
    data=st.binary(max_size=200),
    steps=st.lists(
        st.tuples(st.sampled_from(["read", "readline", "seek"]), st.integers(-1, 250)),
        max_size=20,
    ),
)
def test_view_file_reads_like_bytes_io(data: bytes, steps: list[tuple[str, int]]) -> None:
    import io

    from newssearch.engine.files import _ViewFile

    view, real = _ViewFile(memoryview(data)), io.BytesIO(data)
    for op, n in steps:
        if op == "seek":
            assert view.seek(max(n, 0)) == real.seek(max(n, 0))
        else:
            assert getattr(view, op)(n) == getattr(real, op)(n)
        assert view.tell() == real.tell()


def test_expanded_tiers_share_their_clauses(data_ix: Any) -> None:
    """What a clause matches is worked out once for both tiers (by object)."""
    from newssearch.searching.query import expand, parse_query

    with data_ix._view() as view:
        parsed = expand(parse_query("oil pric* cocoa", view.schema), view)
        assert len(parsed.all_words.subqueries) == 3
        for a, b in zip(parsed.all_words.subqueries, parsed.any_word.subqueries, strict=True):
            assert a is b
        assert "price" in str(parsed.any_word)  # the wildcard was expanded


@pytest.mark.parametrize("blocklimit", [512, 4])
def test_a_merge_changes_no_posting_and_no_score(tmp_path: Path, blocklimit: int) -> None:
    """Two segments merged a term at a time hold the postings Whoosh's own merge makes,
    and answer with the very scores the two segments gave (Whoosh's merge adds up the
    stories' one-byte length approximations into the field's total length)."""
    schema = fields.Schema(
        body=fields.TEXT(analyzer=ANALYZER, stored=True),
        tag=fields.KEYWORD(stored=True, scorable=True),
        spelled=fields.TEXT(spelling=True),
        code=fields.ID(stored=True, sortable=True),
        when=fields.NUMERIC(int, sortable=True),
    )
    stories = [read_story(str(p), p.name).story for p in sorted(DATA.rglob("*.txt"))]
    queries = ["oil prices", '"interest rates"', '"net profit"~3', "tag:1 cocoa", "gaza*"]
    parser = qparser.QueryParser("body", schema, group=qparser.OrGroup)
    results: list[dict[str, Any]] = []
    for name in ("unmerged", "whoosh merge", "merged"):
        target = tmp_path / name.replace(" ", "-")
        target.mkdir()
        ix = index.create_in(str(target), schema)
        for half in (stories[::2], stories[1::2]):
            with news_writer(ix, codec=NewsCodec(blocklimit=blocklimit)) as w:
                for n, story in enumerate(half):
                    w.add_document(
                        body=story.body,
                        tag=story.code[-1],
                        spelled=story.headline,
                        code=story.code,
                        when=n,
                    )
        if name == "whoosh merge":
            news_writer(ix, codec=NewsCodec(blocklimit=blocklimit)).commit(optimize=True)
        elif name == "merged":
            merging_writer(ix, NewsCodec(blocklimit=blocklimit)).commit(optimize=True)
        with ix.searcher() as s:
            hits = [
                [
                    (s.stored_fields(h.docnum)["code"], round(h.score, 9))
                    for h in s.search(parser.parse(q), limit=30)
                ]
                for q in queries
            ]
            results.append(
                {
                    "segments": len(s.reader().leaf_readers()),
                    "hits": hits,
                    "lengths": (s.field_length("body"), s.field_length("tag")),
                    "postings": all_postings(s.reader(), ["body", "tag", "spelled"]),
                    "columns": sorted(
                        zip(
                            s.reader().column_reader("code"),
                            s.reader().column_reader("when"),
                            strict=True,
                        )
                    ),
                    "stored": sorted(
                        sorted(s.stored_fields(n).items()) for n in range(s.doc_count())
                    ),
                }
            )
    unmerged, whoosh_merge, merged = results
    assert (unmerged["segments"], whoosh_merge["segments"], merged["segments"]) == (2, 1, 1)
    assert merged["postings"] == whoosh_merge["postings"]
    assert merged["columns"] == whoosh_merge["columns"] == unmerged["columns"]
    assert merged["stored"] == whoosh_merge["stored"] == unmerged["stored"]
    assert merged["lengths"] == unmerged["lengths"] != whoosh_merge["lengths"]
    assert merged["hits"] == unmerged["hits"] != whoosh_merge["hits"]
    assert unmerged["hits"][0]  # the first query finds stories


@pytest.mark.parametrize("blocklimit", [512, 4])
def test_merging_segments_with_deletions_keeps_every_live_posting(
    tmp_path: Path, blocklimit: int
) -> None:
    """Segments with deleted documents, merged a term at a time, hold what merging them
    a posting at a time (Whoosh's way, into a `TermPool`) makes."""
    schema = fields.Schema(
        body=fields.TEXT(analyzer=ANALYZER, stored=True),
        tag=fields.KEYWORD(stored=True, scorable=True),
        spelled=fields.TEXT(spelling=True),
    )
    stories = [read_story(str(p), p.name).story for p in sorted(DATA.rglob("*.txt"))]
    results = []
    for name in ("pool", "merging"):
        target = tmp_path / name
        target.mkdir()
        ix = index.create_in(str(target), schema)
        for part in (stories[0::3], stories[1::3], stories[2::3]):
            with news_writer(ix, codec=NewsCodec(blocklimit=blocklimit)) as w:
                for story in part:
                    w.add_document(body=story.body, tag=story.code[-1], spelled=story.headline)
        with news_writer(ix, codec=NewsCodec(blocklimit=blocklimit)) as w:
            for docnum in range(0, len(stories), 4):  # from every segment
                w.delete_document(docnum)
        if name == "pool":
            merger = news_writer(ix, codec=NewsCodec(blocklimit=blocklimit))
        else:
            merger = merging_writer(ix, NewsCodec(blocklimit=blocklimit))
        with merger as w:  # one more story, then every segment merged after it
            w.add_document(body=stories[0].body, tag="x", spelled=stories[0].headline)
            w.optimize = True
        with ix.searcher() as s:
            assert len(s.reader().leaf_readers()) == 1
            assert s.doc_count() == len(stories) - len(range(0, len(stories), 4)) + 1
            results.append(
                [
                    sorted(s.reader().lexicon("spelled")),
                    all_postings(s.reader(), ["body", "tag", "spelled"]),
                    [s.stored_fields(n) for n in range(s.doc_count_all())],
                ]
            )
    assert results[0] == results[1]


@given(
    docs=st.lists(st.integers(0, 3000), unique=True).map(sorted),
    among=st.sets(st.integers(0, 3100)),
)
def test_a_words_weights_are_found_for_the_stories_asked_about(
    docs: list[int], among: set[int]
) -> None:
    import numpy as np

    from newssearch.engine.postings import TermPostings

    postings = TermPostings(np.array(docs, np.int64), np.array([d / 8 for d in docs]))
    asked = sorted(among)
    held, weights = postings.weights_at(np.array(asked, np.int64))
    assert held.tolist() == [d in docs for d in asked]
    assert weights.tolist() == [d / 8 if d in docs else 0.0 for d in asked]


@pytest.mark.parametrize("offsets", [True, False], ids=["starts written", "starts added up"])
def test_a_columns_values_are_found_by_their_starts(offsets: bool) -> None:
    """Whoosh writes where each value of a text column starts when the column holds more
    than 32,768 values; smaller columns hold only the lengths."""
    from io import BytesIO

    from whoosh import columns
    from whoosh.filedb.structfile import BufferFile, StructFile

    from newssearch.engine.segments import _var_bytes_lengths, _var_bytes_offsets

    values = [f"story {n}".encode() * (n % 5) for n in range(300)]
    out = BytesIO()
    column = columns.VarBytesColumn(write_offsets_cutoff=10 if offsets else 10_000)
    writer = column.writer(StructFile(out))
    for n, value in enumerate(values):
        writer.add(n, value)
    writer.finish(len(values))
    data = out.getvalue()
    colfile = BufferFile(b"padding" + data)
    lengths = _var_bytes_lengths(colfile, 7, len(data), len(values))
    starts = _var_bytes_offsets(colfile, 7, len(data), len(values))
    assert lengths is not None and list(lengths) == [len(v) for v in values]
    assert (starts is not None) == offsets
    if starts is not None:
        assert [colfile.get(7 + a, n) for a, n in zip(starts, lengths, strict=True)] == values


@given(
    docs=st.lists(st.integers(0, 2000), min_size=1, unique=True).map(sorted),
    deleted=st.sets(st.integers(0, 2000)),
    base=st.integers(0, 50),
)
def test_merged_postings_skip_deleted_documents_and_follow_on(
    docs: list[int], deleted: set[int], base: int
) -> None:
    from array import array

    from newssearch.engine.merge import _live_postings

    renumber = array("i", [-1]) * 2001
    new = base
    for d in range(2001):
        if d not in deleted:
            renumber[d], new = new, new + 1
    weights = array("f", [float(d % 5) for d in docs])
    lengths = array("I", [d % 3 for d in docs])
    values = [bytes([d % 251]) * (d % 3) for d in docs]
    got = _live_postings(list(docs), weights, lengths, b"".join(values), renumber)
    live = [i for i, d in enumerate(docs) if d not in deleted]
    assert got[0] == [base + docs[i] - sum(1 for x in deleted if x < docs[i]) for i in live]
    assert list(got[1]) == [weights[i] for i in live]
    assert list(got[2]) == [lengths[i] for i in live]
    assert got[3] == b"".join(values[i] for i in live)


@given(
    lists=st.lists(
        st.lists(st.integers(0, 100_000), min_size=1, max_size=30, unique=True).map(sorted),
        max_size=20,
    )
)
def test_position_keys_decode_every_list_narrow_or_wide(lists: list[list[int]]) -> None:
    """Position lists with gaps under 255 are one byte a gap, the others four: both kinds,
    mixed in one string, give every (story, position) in order."""
    import numpy as np

    from newssearch.engine.fields import encode_positions
    from newssearch.engine.segments import position_keys

    encoded = [encode_positions(p) for p in lists]
    docs = np.arange(len(lists), dtype=np.int64) * 3 + 5
    lengths = np.array([len(e) for e in encoded], np.int64)
    starts = np.cumsum(lengths) - lengths
    keys = position_keys(docs, starts, lengths, b"".join(encoded))
    expected = [(int(d) << 32) | p for d, found in zip(docs, lists, strict=True) for p in found]
    assert keys.tolist() == expected
