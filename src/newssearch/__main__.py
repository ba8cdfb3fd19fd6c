"""`python -m newssearch`: the same as the `newssearch` command."""

from newssearch.cli import app

app(prog_name="newssearch")
