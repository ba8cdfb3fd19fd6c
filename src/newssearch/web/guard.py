"""The outermost layer of the app: refuse what a read-only search server never needs, and
give every response the headers that keep a browser from running anything but our own
files.

Only GET and HEAD are served; a request with a body, a path over `MAX_PATH` bytes, a
query string over `MAX_QUERY` bytes or headers over `MAX_HEAD` bytes is refused before
any route sees it. The
Content-Security-Policy allows scripts and styles from this server only (so no inline
script runs, even one smuggled into a story) and no frames.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newssearch.web.api import DocumentResponse

MAX_PATH = 1_024
MAX_HEAD = 16 * 1024
"""Bytes of request line and headers (the server refuses a longer head that comes in
pieces; one that comes at once is refused here)."""
MAX_QUERY = 4_096
"""Bytes of query string: room for a query of about 4,000 ASCII characters (650 in Arabic
script), percent-encoded, and the other parameters. The library takes up to 20,000
characters, but an address that long is refused by many proxies and browsers."""
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


def _refusal(scope: Scope) -> tuple[int, str] | None:
    """The status and message for a request that is refused unread, else None."""
    if scope["method"] not in ("GET", "HEAD"):
        return 405, f"method {scope['method']} is not allowed: this server only reads"
    headers = Headers(scope=scope)
    if "transfer-encoding" in headers or headers.get("content-length", "0") != "0":
        return 413, "requests with a body are not accepted"
    if len(scope.get("raw_path") or scope["path"].encode()) > MAX_PATH:
        return 414, f"the address is too long (at most {MAX_PATH:,} bytes)"
    if len(scope["query_string"]) > MAX_QUERY:
        return 414, f"the query string is too long (at most {MAX_QUERY:,} bytes)"
    if sum(len(name) + len(value) + 4 for name, value in scope["headers"]) > MAX_HEAD:
        return 431, f"the request's headers are too long (at most {MAX_HEAD:,} bytes)"
    return None


class Guard:
    """ASGI middleware: refuse unneeded requests, add the security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if "cache-control" not in headers:
                    headers["cache-control"] = "no-cache"
            await send(message)

        refusal = _refusal(scope)
        if refusal is None:
            try:
                await self.app(scope, receive, send_with_headers)
            except Exception as e:  # a bug: answered as one, then logged by the server
                if started:
                    raise
                bug = f"internal error ({type(e).__name__}); this is a bug in newssearch"
                await _answer(scope, receive, send_with_headers, 500, bug)
                raise
            return
        status, message = refusal
        extra = {"allow": "GET, HEAD"} if status == 405 else None
        await _answer(scope, receive, send_with_headers, status, message, extra)


async def _answer(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    message: str,
    extra: dict[str, str] | None = None,
) -> None:
    """Answer with `message`: as JSON under /api/, else as text."""
    response: Response
    if scope["path"].startswith("/api/"):
        response = DocumentResponse({"error": message}, status, headers=extra)
    else:
        response = PlainTextResponse(message + "\n", status, headers=extra)
    await response(scope, receive, send)
