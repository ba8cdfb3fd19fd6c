"""Stories: from files on disk to `Story` objects. Knows nothing of Whoosh.

* `files` walks a root and lists the story files under it, with what an indexing run
  needs to tell a changed file from an unchanged one without reading it;
* `parse` reads one file: decodes its bytes, parses the layout (date line, headline,
  story code, body) and rejects what is not a story, with the reason;
* `dates` reads date lines.
"""
