"""The `newssearch` command (`main`), also run by `python -m newssearch`."""

import signal
import sys


def _interrupted(signum: int, frame: object) -> None:
    sys.stderr.write("Error: interrupted\n")
    raise SystemExit(130)


def main() -> None:
    """Run the command line. A Ctrl-C while it is still loading (typer, the commands)
    ends it as it ends an interrupted command, with one line and status 130, not with a
    traceback from somewhere in an import; the commands take Ctrl-C over when they start
    (`newssearch.cli.common`)."""
    signal.signal(signal.SIGINT, _interrupted)
    from newssearch.cli import app

    app(prog_name="newssearch")


if __name__ == "__main__":
    main()
