"""The `newssearch` command (`main`), also run by `python -m newssearch`."""

import os
import signal
import sys


def _interrupted(signum: int, frame: object) -> None:
    # nothing to clean up yet; an exception could land inside an import, where Python
    # reports it with a traceback and carries on
    sys.stderr.write("Error: interrupted\n")
    sys.stderr.flush()
    os._exit(130)


def main() -> None:
    """Run the command line. A Ctrl-C while it is still loading (typer, the commands, the
    library) ends it as it ends an interrupted command, with one line and status 130, not
    with a traceback from somewhere in an import; the commands take Ctrl-C over when
    their work starts (`newssearch.cli.common.reported_errors`)."""
    signal.signal(signal.SIGINT, _interrupted)
    # A run whose indexing workers were killed has already said so in its one line; the
    # process that tracks their semaphores would add warnings about them at exit (it
    # takes its warning options from ours)
    sys.warnoptions.append("ignore:resource_tracker:UserWarning")
    from newssearch.cli import app

    app(prog_name="newssearch")


if __name__ == "__main__":
    main()
