"""The `newssearch` command: parse arguments, call `NewsIndex`, render, map errors to exits.

* `common` holds the command group (`app`), the options the commands share, and the one place that
  turns errors into exit statuses (grep's: 0 found, 1 nothing found, 2 error);
* `indexing` builds and maintains an index (`index`, `forget`);
* `searching` reads it (`search`, `show`, `stats`, `similar`, `timeline`);
* `serve` serves the search page and JSON API of `newssearch.web`.

Each command reads its options, makes one or two calls on `NewsIndex` and renders the
result with `newssearch.output`.
"""

from newssearch.cli import indexing, searching, serve  # noqa: F401 (they add their commands)
from newssearch.cli.common import app

__all__ = ["app"]
