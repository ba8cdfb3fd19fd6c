"""`--cluster` and `ClusterIndex` pointed at a server that is not a Dask scheduler.

Each kind of server runs on loopback in this process; the commands and the library run
in processes of their own, so that what they print up to their exit, and what is left
running after the error, is seen whole. A hang fails on the subprocess timeout, which
is far beyond the 10 s a connection is given.
"""

from __future__ import annotations

import http.server
import json
import re
import socketserver
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

pytest.importorskip("distributed", reason="Dask's distributed is not installed")

HANG = 60  # seconds: only a hang takes this long


def not_dask(address: str, timeout: float) -> str:
    return re.escape(f"the server at {address} does not speak Dask's protocol")


def closed(address: str, timeout: float) -> str:
    closing = "closed the connection before answering in Dask's protocol"
    return re.escape(f"the server at {address} {closing}")


def silent(address: str, timeout: float) -> str:
    return re.escape(f"no Dask scheduler answers at {address} (waited {timeout:g} s)")


def http_server(address: str, timeout: float) -> str:
    # it waits for the end of a request line, which Dask's first message may not hold
    return f"(?:{not_dask(address, timeout)}|{silent(address, timeout)})"


class Handler(socketserver.BaseRequestHandler):
    """Says `answer` (None: closes at once), then reads until the client goes."""

    answer: bytes | None = b""

    def handle(self) -> None:
        if self.answer is None:
            self.request.close()
            return
        self.request.sendall(self.answer)
        while self.request.recv(65536):
            pass


class QuietHTTP(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def says(answer: bytes | None) -> socketserver.TCPServer:
    server = socketserver.ThreadingTCPServer(
        ("127.0.0.1", 0), type("Saying", (Handler,), {"answer": answer})
    )
    server.daemon_threads = True
    return server


def framed(payload: bytes) -> bytes:
    """`payload` as one frame of a message as Dask frames them: Dask reads it whole, and
    only then finds that it is not MessagePack."""
    frames = struct.pack("<QQ", 1, len(payload)) + payload
    return struct.pack("<Q", len(frames)) + frames


Pattern = Callable[[str, float], str]
SERVERS: dict[str, tuple[Callable[[], socketserver.TCPServer], Pattern]] = {
    "http": (lambda: http.server.ThreadingHTTPServer(("127.0.0.1", 0), QuietHTTP), http_server),
    "closes": (lambda: says(None), closed),
    "garbage": (lambda: says(bytes(range(256)) * 16), not_dask),
    "framed garbage": (lambda: says(framed(b"\xc1\xc1\xc1\xc1")), not_dask),
    "silent": (lambda: says(b""), silent),
}
"""Each kind of server, and the error it earns (a regular expression of its address and
the timeout)."""


@contextmanager
def running(kind: str) -> Iterator[tuple[str, Pattern]]:
    """A server of this kind on loopback: its address, and the error it earns."""
    make, pattern = SERVERS[kind]
    server = make()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        assert isinstance(host, str) and isinstance(port, int)
        yield f"tcp://{host}:{port}", pattern
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("kind", list(SERVERS))
def test_search_ends_with_one_line_naming_the_server(kind: str) -> None:
    with running(kind) as (address, pattern):
        ran = subprocess.run(
            [sys.executable, "-m", "newssearch", "search", "oil", "--cluster", address],
            capture_output=True,
            text=True,
            timeout=HANG,
        )
    assert (ran.returncode, ran.stdout) == (2, "")
    assert re.fullmatch(f"Error: {pattern(address, 10)}\n", ran.stderr), ran.stderr


def test_serve_ends_with_one_line_before_serving() -> None:
    with running("garbage") as (address, pattern):
        ran = subprocess.run(
            [sys.executable, "-m", "newssearch", "serve", "--cluster", address, "--port", "0"],
            capture_output=True,
            text=True,
            timeout=HANG,
        )
    assert (ran.returncode, ran.stdout) == (2, "")
    assert re.fullmatch(f"Error: {pattern(address, 10)}\n", ran.stderr), ran.stderr


# ClusterIndex in a process of its own: the error, then what is still alive
LIBRARY = """
import gc, json, sys, threading
from distributed import Client
from newssearch import ClusterIndex

try:
    ClusterIndex(sys.argv[1], timeout=float(sys.argv[2]))
except Exception as e:
    error = e
gc.collect()
print(json.dumps({
    "error": [c.__name__ for c in type(error).__mro__],
    "message": str(error),
    "threads": [t.name for t in threading.enumerate()],
    "clients": sum(isinstance(o, Client) for o in gc.get_objects()),
}))
"""


@pytest.mark.parametrize("kind", list(SERVERS))
def test_the_library_raises_a_cluster_error_and_leaves_nothing_running(kind: str) -> None:
    timeout = 2.0
    with running(kind) as (address, pattern):
        ran = subprocess.run(
            [sys.executable, "-c", LIBRARY, address, str(timeout)],
            capture_output=True,
            text=True,
            timeout=HANG,
        )
    assert (ran.returncode, ran.stderr) == (0, "")
    found = json.loads(ran.stdout)
    assert "ClusterError" in found["error"]
    assert re.fullmatch(pattern(address, timeout), found["message"]), found
    assert found["threads"] == ["MainThread"]  # no event loop, no thread of Dask's
    assert found["clients"] == 0


def test_a_worker_is_told_from_its_scheduler() -> None:
    """A worker's address is a Dask server's, but not the one to give."""
    from distributed import LocalCluster

    from newssearch.cluster.client import ClusterError, ClusterIndex

    with LocalCluster(
        n_workers=1, processes=False, protocol="tcp://", host="127.0.0.1", dashboard_address=None
    ) as cluster:
        worker = next(iter(cluster.workers.values())).address
        with pytest.raises(ClusterError) as raised:
            ClusterIndex(worker, timeout=5)
        scheduler = cluster.scheduler_address
    assert str(raised.value) == (
        f"{worker} is a Dask worker, not a scheduler; its scheduler is at {scheduler}"
    )
