"""Searching: query text to ranked, dated, highlighted results.

* `dates` reads the dates people type (`--since`, `--until`, `date:[A to B]`);
* `query` turns query text and date limits into Whoosh queries: the stories holding all
  the words, and those holding some, with the limits apart (a filter, never a score);
* `ranking` holds the ranking's parameters and finds the best stories of the query's
  tiers, through the engine's `IndexView`;
* `search` runs one search from start to end and copies each hit into a `Hit`, with a
  snippet (`snippets`) and, when the query finds little, a spelling suggestion
  (`suggest`);
* `similar` and `timeline` answer the other two questions: stories like this one, and
  how many stories per period.
"""
