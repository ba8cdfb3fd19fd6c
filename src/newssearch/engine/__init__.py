"""The engine: everything that knows Whoosh's file formats and internals.

This is the one package that may touch a private Whoosh name (`WHOOSH_PRIVATE` lists
every one it relies on; a test checks each against the installed whoosh-reloaded). It
extends Whoosh through its own extension points -- a codec, a segment class, writer
subclasses -- and changes nothing in Whoosh for the rest of the process.

Writing a story:

* `schema` -- the fields of a document (`document`) and the schema version;
* `fields` -- the index-time fast path for headline and body (words and positions as the
  query analyzer makes them) and its compact position format;
* `pool` -- a segment's postings gathered in memory a term at a time;
* `merge` -- segments merged into a new one a term at a time, in constant memory;
* `codec` -- Whoosh's W3 codec with compact posting `blocks`, and the segment class
  whose files are read in place from their memory maps (`files`);
* `parallel` -- Whoosh's multi-process writer, made safe (no partial commit, workers
  that die with their parent and report their tracebacks);
* `writers` -- writers, merge policies, and `BatchWriter`, what an indexing run writes
  through (batched commits; a full rebuild staged and swapped in at the end);
* `contents` -- what the index holds (paths, file signatures, story codes);
* `store` -- the index directory: open, create, lock, side file, cleaning up.

Reading it back:

* `segments` -- a segment's posting lists, columns and stored fields read directly;
* `postings` -- one word's postings across segments, in bulk;
* `scoring` -- BM25F scores of word and phrase queries a posting list at a time;
* `reader` -- `IndexView`, what `searching` may ask of a searcher.
"""

WHOOSH_PRIVATE: tuple[tuple[str, str], ...] = (
    # (class or module, private name) -- what the engine reads or overrides
    ("whoosh.codec.whoosh3.W3TermInfo", "_struct"),
    ("whoosh.codec.whoosh3.W3Codec", "_blocklimit"),
    ("whoosh.codec.whoosh3.W3Codec", "_compression"),
    ("whoosh.codec.whoosh3.W3Codec", "_inlinelimit"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_ids"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_weights"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_values"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_maxweight"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_minlength"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_maxlength"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_blocklimit"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_blockcount"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_compression"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_postfile"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_terminfo"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_format"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_new_block"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_write_block"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_read_header"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_goto"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_read_ids"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_read_weights"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_read_values"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_postfile"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_startoffset"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_baseoffset"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_data"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_i"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_lastblock"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_nextoffset"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_dataoffset"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_blocklength"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_maxid"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_fixedsize"),
    ("whoosh.codec.whoosh3.W3FieldWriter", "_postwriter"),
    ("whoosh.codec.whoosh3.W3FieldWriter", "_tindex"),
    ("whoosh.codec.whoosh3.W3FieldWriter", "_fieldid"),
    ("whoosh.codec.whoosh3.W3FieldWriter", "_codec"),
    ("whoosh.codec.whoosh3.W3PerDocReader", "_get_column_file"),
    ("whoosh.codec.whoosh3.W3PerDocWriter", "_get_column"),
    ("whoosh.codec.whoosh3.W3PerDocWriter", "_fieldlengths"),
    ("whoosh.columns.WrappedColumnWriter", "_child"),
    ("whoosh.codec.whoosh3.W3PerDocReader", "_cached_reader"),
    ("whoosh.codec.whoosh3.W3TermsReader", "_postfile"),
    ("whoosh.reading.SegmentReader", "_perdoc"),
    ("whoosh.reading.SegmentReader", "_terms"),
    ("whoosh.reading.SegmentReader", "_codec"),
    ("whoosh.columns.NumericColumn.Reader", "_typecode"),
    ("whoosh.columns.NumericColumn.Reader", "_dbfile"),
    ("whoosh.columns.NumericColumn.Reader", "_basepos"),
    ("whoosh.columns.NumericColumn.Reader", "_count"),
    ("whoosh.columns.NumericColumn.Reader", "_fixedlen"),
    ("whoosh.columns.NumericColumn.Reader", "_default"),
    ("whoosh.columns.NumericColumn.Reader", "_doccount"),
    ("whoosh.filedb.compound.CompoundStorage", "_source"),
    ("whoosh.index.FileIndex", "_segments"),
    ("whoosh.writing.SegmentWriter", "_finalize_segment"),
    ("whoosh.writing.SegmentWriter", "_finish"),
    ("whoosh.writing.SegmentWriter", "_commit_toc"),
    ("whoosh.writing.SegmentWriter", "_merge_segments"),
    ("whoosh.multiproc.MpWriter", "_new_task"),
    ("whoosh.multiproc.SubWriterTask", "_process_file"),
    ("multiprocessing.popen_forkserver.Popen", "_launch"),
)
