"""Indexing: bring an index in line with the story files under its roots.

* `roots` decides which roots a run walks, each with its own glob and link rule;
* `plan` compares the files found with what the index holds and says what to write and
  delete (reading only new and changed files), without touching the index;
* `run` walks, plans and applies the plan through the engine's batch writer, with
  progress and a report.
"""
