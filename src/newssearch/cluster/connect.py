"""Asking what answers at a cluster's address before `distributed.Client` connects.

`distributed.Client` waits without a time limit for the first message of a server that
accepted its connection (Dask leaves its handshake out of the connect timeout), and a
server that is not Dask's can leave it hung, or failing in ways it does not clean up
after. `check_scheduler` asks the server for its identity first, with a deadline, on a
connection, an event loop and a thread of its own, and says what is there instead of
a scheduler: nothing, a server speaking another protocol, a worker.
"""

from __future__ import annotations

from typing import Any


class NotAScheduler(Exception):
    """No Dask scheduler answers at the address; the message says what does."""


def no_scheduler(address: str, timeout: float) -> str:
    """What to say when nothing answers at `address` within `timeout` seconds."""
    return f"no Dask scheduler answers at {address} (waited {timeout:g} s)"


def check_scheduler(address: str, timeout: float) -> None:
    """Raise `NotAScheduler` saying what is at `address` unless it is a Dask
    scheduler, asked within `timeout` seconds in all.

    `distributed.Client` waits for the first message of a server that accepted its
    connection without a time limit (Dask leaves its handshake out of the connect
    timeout), and a server that is not Dask's can leave it hung, or failing in ways it
    does not clean up after; so the server is asked first, with a deadline, on a
    connection of its own.
    """
    from distributed.comm.addressing import get_address_host
    from distributed.comm.core import CommClosedError

    try:
        get_address_host(address)  # the scheme, host and port, checked without a connection
    except ValueError as e:
        raise NotAScheduler(f"{address} is not a Dask scheduler's address ({e})") from e
    try:
        identity = _identity(address, timeout)
    except CommClosedError as e:
        closed = "closed the connection before answering in Dask's protocol"
        raise NotAScheduler(f"the server at {address} {closed}") from e
    except (OSError, TimeoutError) as e:  # nothing accepted a connection, or nothing said a word
        raise NotAScheduler(no_scheduler(address, timeout)) from e
    except Exception as e:  # what Dask's decoder makes of bytes that are not a message
        raise NotAScheduler(_not_dask(address)) from e
    kind = identity.get("type") if isinstance(identity, dict) else None
    if not isinstance(kind, str):
        raise NotAScheduler(_not_dask(address))
    if "workers" not in identity:  # only a scheduler's identity lists the workers
        scheduler = identity.get("scheduler")
        its = f"; its scheduler is at {scheduler}" if isinstance(scheduler, str) else ""
        raise NotAScheduler(f"{address} is a Dask {kind.lower()}, not a scheduler{its}")


def _not_dask(address: str) -> str:
    return f"the server at {address} does not speak Dask's protocol"


# Where Dask reports a message it cannot decode, and the connection it then leaves open:
# true of any server that is not Dask's, and about a question only `_identity` asked.
_QUIET = ("distributed.protocol.core", "distributed.comm.tcp")


def _identity(address: str, timeout: float) -> Any:
    """What the server at `address` says it is (its answer to Dask's `identity`), within
    `timeout` seconds, or the error that ended the asking; asked on an event loop and a
    thread of its own, both gone on return, so that it works from any thread and leaves
    nothing running."""
    import asyncio
    import logging
    import threading
    import traceback

    from distributed.comm.core import connect

    async def ask() -> Any:
        comm = await connect(address, timeout=timeout)
        try:
            await comm.write({"op": "identity"})
            return await comm.read()
        finally:
            comm.abort()

    outcome: dict[str, Any] = {}

    def run() -> None:
        asking = threading.get_ident()

        def others(record: logging.LogRecord) -> bool:
            return record.thread != asking

        for name in _QUIET:
            logging.getLogger(name).addFilter(others)
        try:
            outcome["answer"] = asyncio.run(asyncio.wait_for(ask(), timeout))
        except Exception as e:
            # the frames hold the connection Dask left open: closed here, its warning
            # is said while the filter above still stands
            traceback.clear_frames(e.__traceback__)
            outcome["error"] = e
        finally:
            for name in _QUIET:
                logging.getLogger(name).removeFilter(others)

    # a daemon, so that Ctrl-C or SIGTERM meanwhile ends the process without waiting
    asker = threading.Thread(target=run, name="newssearch-identity", daemon=True)
    asker.start()
    asker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["answer"]
