"""`newssearch serve`: the JSON API against the command line, the pages, the safety limits,
and a live index, through Starlette's TestClient and typer's CliRunner (the browser test
is test_web_browser.py)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import httpx2
import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from newssearch.cli import app as cli
from newssearch.web.app import create_app

from .conftest import (
    HOSTILE_CODE,
    HOSTILE_HEADLINE,
    PERSIAN_CODE,
    PERSIAN_HEADLINE,
    SEED_CODE,
    running_server,
    story_text,
)

runner = CliRunner()


@pytest.fixture(scope="module")
def client(web_index: str) -> Iterator[TestClient]:
    with TestClient(create_app(web_index)) as c:
        yield c


def cli_json(index: str, *args: str) -> tuple[int, str, str]:
    done = runner.invoke(cli, [*args, "--index", index, "--format", "json"])
    return done.exit_code, done.stdout, done.stderr


# (API address, the same call on the command line)
SAME_CALLS = [
    ("/api/search?q=cocoa", ["search", "cocoa"]),
    (
        "/api/search?q=cocoa&since=1987-03&until=1987-03&limit=5&page=2",
        ["search", "cocoa", "--since", "1987-03", "--until", "1987-03", "-n", "5", "-p", "2"],
    ),
    (
        "/api/search?q=oil+prices&sort=newest&limit=7",
        ["search", "oil prices", "--sort", "newest", "-n", "7"],
    ),
    ("/api/search?q=oil&sort=oldest&page=2", ["search", "oil", "--sort", "oldest", "-p", "2"]),
    ("/api/search?q=gaza+truce&recent=true", ["search", "gaza truce", "--recent"]),
    ("/api/search?q=cocao", ["search", "cocao"]),
    ("/api/search?q=zzyzxqq", ["search", "zzyzxqq"]),
    ("/api/search?q=cocoa&since=last+month", ["search", "cocoa", "--since", "last month"]),
    (
        "/api/search?q=" + "cocoa date:[1987-03-01 to 1987-03-15]".replace(" ", "+"),
        ["search", "cocoa date:[1987-03-01 to 1987-03-15]"],
    ),
    ("/api/search?q=%22oil+prices%22~3", ["search", '"oil prices"~3']),
    ("/api/search?q=" + "آتش‌بس", ["search", "آتش‌بس"]),
    ("/api/search?q=zanzibar", ["search", "zanzibar"]),
    (f"/api/stories/{SEED_CODE}", ["show", SEED_CODE]),
    (f"/api/stories/{HOSTILE_CODE}", ["show", HOSTILE_CODE]),
    (f"/api/stories/{PERSIAN_CODE}", ["show", PERSIAN_CODE]),
    (f"/api/similar/{SEED_CODE}", ["similar", SEED_CODE]),
    (
        "/api/similar/5258?since=1987-03&until=April+1987&limit=3&page=2",
        ["similar", "5258", "--since", "1987-03", "--until", "April 1987", "-n", "3", "-p", "2"],
    ),
    ("/api/timeline?q=cocoa", ["timeline", "cocoa"]),
    (
        "/api/timeline?q=oil&since=1987-03&until=1987-04&by=week",
        ["timeline", "oil", "--since", "1987-03", "--until", "1987-04", "--by", "week"],
    ),
    ("/api/timeline?q=oil+OR+gaza&by=day", ["timeline", "oil OR gaza", "--by", "day"]),
    ("/api/timeline?q=trade&by=year", ["timeline", "trade", "--by", "year"]),
    ("/api/stats", ["stats"]),
]


@pytest.mark.parametrize(("address", "args"), SAME_CALLS)
def test_api_sends_what_the_command_prints(
    client: TestClient, web_index: str, address: str, args: list[str]
) -> None:
    response = client.get(address)
    status, stdout, stderr = cli_json(web_index, *args)
    assert status in (0, 1), stderr
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.text == stdout  # the same hits, totals and order, byte for byte
    assert response.json() == json.loads(stdout)


def test_api_search_pages_join_up(client: TestClient) -> None:
    whole = client.get("/api/search?q=oil+prices&limit=30").json()
    pages = [client.get(f"/api/search?q=oil+prices&limit=10&page={n}").json() for n in (1, 2, 3)]
    assert (whole["total"], whole["partial_total"]) == (8, 67)
    assert all((p["total"], p["partial_total"]) == (8, 67) for p in pages)
    assert [h["code"] for p in pages for h in p["hits"]] == [h["code"] for h in whole["hits"]]


# (API address, status, its message, the same call on the command line, or None)
ERRORS = [
    ("/api/search?q=AND+OR", 400, None, ["search", "AND OR"]),
    ("/api/search?q=the", 400, None, ["search", "the"]),
    ("/api/search?q=cocoa%5Einf", 400, None, ["search", "cocoa^inf"]),
    (
        "/api/search?q=cocoa&since=1987-04&until=1987-03",
        400,
        None,
        ["search", "cocoa", "--since", "1987-04", "--until", "1987-03"],
    ),
    ("/api/timeline?q=AND", 400, None, ["timeline", "AND"]),
    (
        "/api/similar/1?since=1988&until=1987",
        400,
        None,
        ["similar", "1", "--since", "1988", "--until", "1987"],
    ),
    ("/api/search?q=cocoa&since=soon", 400, "since: cannot read date 'soon'", None),
    ("/api/search?q=cocoa&until=2024-02-31", 400, "until: no such date '2024-02-31'", None),
    ("/api/search", 400, "q: missing", None),
    ("/api/search?q=+", 400, "q: missing", None),
    ("/api/timeline?by=day", 400, "q: missing", None),
    ("/api/search?q=cocoa&limit=0", 400, "limit: '0' is not a whole number from 1 to 100", None),
    ("/api/search?q=cocoa&limit=101", 400, "limit: '101' is not a whole number", None),
    ("/api/search?q=cocoa&limit=ten", 400, "limit: 'ten' is not a whole number", None),
    ("/api/search?q=cocoa&page=-1", 400, "page: '-1' is not a whole number", None),
    (
        "/api/search?q=cocoa&page=1001",
        400,
        "page: '1001' is not a whole number from 1 to 1,000",
        None,
    ),
    (
        "/api/search?q=cocoa&sort=best",
        400,
        "sort: 'best' is not one of relevance, newest, oldest",
        None,
    ),
    ("/api/search?q=cocoa&recent=maybe", 400, "recent: 'maybe' is not true or false", None),
    (
        "/api/timeline?q=cocoa&by=decade",
        400,
        "by: 'decade' is not one of day, week, month, year",
        None,
    ),
    ("/api/search?q=cocoa&limt=5", 400, "unknown parameter 'limt'", None),
    ("/api/search?q=cocoa&q=oil", 400, "q: given more than once", None),
    ("/api/stats?verbose=1", 400, "unknown parameter 'verbose': this address takes none", None),
    ("/api/search?q=cocoa&lang=xx", 400, "lang: 'xx' is not one of en, fa, ar, other", None),
    ("/api/timeline?q=oil&since=1000&by=day", 400, "by: counted per day, this timeline", None),
    (
        "/api/timeline?q=" + "oil date:[1000 to 1987]".replace(" ", "+") + "&by=week",
        400,
        "by: counted per week",
        None,
    ),
    ("/api/stories/424242", 404, "no story with code 424242", None),
    ("/api/similar/424242", 404, "no story with code 424242", None),
    ("/api/nothing", 404, "Not Found", None),
]


@pytest.mark.parametrize(("address", "status", "message", "args"), ERRORS)
def test_api_errors_are_one_line(
    client: TestClient,
    web_index: str,
    address: str,
    status: int,
    message: str | None,
    args: list[str] | None,
) -> None:
    response = client.get(address)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    doc = response.json()
    assert list(doc) == ["error"] and "\n" not in doc["error"]
    if args is not None:  # the very message the command prints
        exit_code, _, stderr = cli_json(web_index, *args)
        assert exit_code == 2 and stderr == f"Error: {doc['error']}\n"
    else:
        assert message is not None and doc["error"].startswith(message)


def test_api_date_errors_read_as_the_command_line_ones(client: TestClient, web_index: str) -> None:
    # the message names the parameter as each interface spells it: since= or --since
    api = client.get("/api/search?q=cocoa&since=soon").json()["error"]
    _, _, stderr = cli_json(web_index, "search", "cocoa", "--since", "soon")
    assert stderr == f"Error: --{api}\n"


@pytest.mark.parametrize(
    ("method", "status"), [("POST", 405), ("PUT", 405), ("DELETE", 405), ("PATCH", 405)]
)
def test_nothing_can_be_written(client: TestClient, method: str, status: int) -> None:
    for address in ("/api/search?q=cocoa", "/", f"/api/stories/{SEED_CODE}"):
        response = client.request(method, address)
        assert response.status_code == status
        assert response.headers["allow"] == "GET, HEAD"


def test_request_size_limits(client: TestClient) -> None:
    body = client.request("GET", "/api/search?q=cocoa", content=b"x" * 10)
    assert body.status_code == 413
    assert body.json() == {"error": "requests with a body are not accepted"}
    long_query = client.get("/api/search?" + urlencode({"q": "cocoa " * 1000}))
    assert long_query.status_code == 414
    assert "at most 4,096 bytes" in long_query.json()["error"]
    long_path = client.get("/stories/" + "1" * 2000)
    assert long_path.status_code == 414 and long_path.headers["content-type"].startswith(
        "text/plain"
    )
    head = client.head("/api/stats")
    assert head.status_code == 200 and head.content == b""
    padded = client.get("/api/stats", headers={"x-padding": "x" * 100_000})
    assert padded.status_code == 431 and "at most 16,384 bytes" in padded.json()["error"]


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for address in (
        "/",
        "/?q=cocoa",
        "/api/stats",
        "/static/style.css",
        "/nothing",
        "/api/nothing",
    ):
        headers = client.get(address).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"


def test_a_bug_is_a_500_in_the_page_or_api_form_with_the_security_headers(
    web_index: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure in our own code (a KeyError planted in timelines) is answered as a bug,
    as JSON under /api/ and as text elsewhere, with the headers every response has."""
    from newssearch import NewsIndex

    def planted(self: NewsIndex, *args: object, **kwargs: object) -> None:
        raise KeyError("planted")

    with TestClient(create_app(web_index), raise_server_exceptions=False) as bugged:
        monkeypatch.setattr(NewsIndex, "timeline", planted)
        api = bugged.get("/api/timeline?q=cocoa")
        page = bugged.get("/?q=cocoa")
    assert api.status_code == 500 and api.json() == {
        "error": "internal error (KeyError); this is a bug in newssearch"
    }
    assert page.status_code == 500 and "this is a bug in newssearch" in page.text
    for answer in (api, page):
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_timeline_may_reach_the_last_day_of_9999(client: TestClient) -> None:
    answer = client.get("/api/timeline?q=cocoa&since=9999-12&until=9999&by=day")
    assert answer.status_code == 200, answer.text
    assert answer.json()["buckets"][-1] == {"start": "9999-12-31", "count": 0}
    assert client.get("/?q=cocoa&until=9999").status_code == 200


def test_static_files_are_named_not_read_from_a_path(client: TestClient) -> None:
    css = client.get("/static/style.css")
    assert css.status_code == 200 and css.headers["content-type"] == "text/css; charset=utf-8"
    assert client.get("/static/app.js").status_code == 200
    for address in (
        "/static/..%2f..%2f..%2fpyproject.toml",
        "/static/../app.py",
        "/static/%2e%2e/app.py",
        "/static/templates",
        "/static/base.html",
    ):
        response = client.get(address)
        assert response.status_code == 404
        assert "[project]" not in response.text and "create_app" not in response.text


def test_a_page_holds_no_inline_script(client: TestClient) -> None:
    for address in ("/", "/?q=cocoa", f"/stories/{SEED_CODE}", f"/similar/{SEED_CODE}"):
        page = Page.of(client.get(address).text)
        assert page.scripts == [{"src": "/static/app.js", "defer": None}]
        assert not page.inline_handlers, page.inline_handlers


class Page(HTMLParser):
    """What a test needs of a page: elements by class, links, scripts, text."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[dict[str, str | None]] = []
        self.inline_handlers: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []
        self.marks: list[str] = []
        self._in_mark = False

    @classmethod
    def of(cls, html: str) -> Page:
        page = cls()
        page.feed(html)
        return page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.elements.append((tag, found))
        if tag == "script":
            self.scripts.append(found)
        if tag == "a" and found.get("href") is not None:
            self.links.append(found["href"] or "")
        self.inline_handlers += [name for name, _ in attrs if name.startswith("on")]
        self._in_mark = tag == "mark"

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            self._in_mark = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_mark:
            self.marks.append(data)

    def with_class(self, name: str) -> list[tuple[str, dict[str, str | None]]]:
        return [(t, a) for t, a in self.elements if name in (a.get("class") or "").split()]


def test_search_page_without_javascript(client: TestClient) -> None:
    address = "/?" + urlencode({"q": "cocoa", "since": "1987-03", "until": "1987-03"})
    response = client.get(address)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = Page.of(response.text)
    text = " ".join(page.text)
    assert "24 stories match; showing 1-10" in " ".join(text.split())
    assert len(page.with_class("hit")) == 10
    assert page.marks and all(m.lower().startswith("cocoa") for m in page.marks)
    # the form is a plain GET that comes back filled in
    form = next(a for t, a in page.elements if t == "form")
    assert (form["action"], form["method"]) == ("/", "get")
    values = {a["name"]: a.get("value") for t, a in page.elements if t == "input" and a.get("name")}
    assert (values["q"], values["since"], values["until"]) == ("cocoa", "1987-03", "1987-03")
    # paging and reading are links that keep the query and its limits
    assert "/?q=cocoa&since=1987-03&until=1987-03&page=2" in page.links
    assert any(link.startswith("/stories/") and "q=cocoa" in link for link in page.links)
    assert all(link.startswith("/") for link in page.links)  # nothing leaves the server
    # the timeline: one bar a day of March 1987, each a link to its day
    bars = page.with_class("bar")
    assert bars and all(t == "rect" for t, _ in bars)
    assert "/?q=cocoa&since=1987-03-12&until=1987-03-12" in page.links


def test_search_page_next_page_continues(client: TestClient) -> None:
    first = Page.of(client.get("/?q=cocoa&since=1987-03&until=1987-03").text)
    third = Page.of(client.get("/?q=cocoa&since=1987-03&until=1987-03&page=3").text)
    assert len(third.with_class("hit")) == 4
    assert "showing 21-24" in " ".join(" ".join(third.text).split())
    first_codes = {link for link in first.links if link.startswith("/stories/")}
    third_codes = {link for link in third.links if link.startswith("/stories/")}
    assert first_codes.isdisjoint(third_codes)
    past = client.get("/?q=cocoa&since=1987-03&until=1987-03&page=9")
    assert "Page 9 is past the last one" in past.text


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ({"q": "cocoa", "since": "soon"}, 400, "since: cannot read date &#39;soon&#39;"),
        ({"q": "AND OR"}, 400, "nothing to search for in &#39;AND OR&#39;"),
        ({"q": "cocoa", "sort": "best"}, 400, "sort: &#39;best&#39; is not one of"),
        ({"q": "cocoa", "since": "1987-04", "until": "1987-03"}, 400, "before it starts"),
    ],
)
def test_search_page_errors(
    client: TestClient, query: dict[str, str], status: int, message: str
) -> None:
    response = client.get("/?" + urlencode(query))
    assert response.status_code == status
    assert message in response.text
    values = Page.of(response.text)
    assert any(a.get("value") == query["q"] for t, a in values.elements if t == "input")


def test_story_page(client: TestClient) -> None:
    response = client.get(f"/stories/{SEED_CODE}?q=gaza+truce")
    assert response.status_code == 200
    page = Page.of(response.text)
    assert "Iran Asks Japan, G7 to Push for Gaza Truce" in page.text
    assert "/?q=gaza+truce" in page.links  # back to the results
    similar = [link for link in page.links if link.startswith("/stories/")]
    assert 1 <= len(similar) <= 5 and f"/stories/{SEED_CODE}?q=gaza+truce" not in similar
    assert client.get("/stories/424242").status_code == 404
    assert "no story with code 424242" in client.get("/stories/424242").text


def test_similar_page(client: TestClient) -> None:
    api = client.get("/api/similar/5258?limit=10").json()
    page = Page.of(client.get("/similar/5258").text)
    links = [link for link in page.links if link.startswith("/stories/")][1:]  # [0]: the story
    assert [link.split("?")[0] for link in links] == [f"/stories/{h['code']}" for h in api["hits"]]
    assert client.get("/similar/424242").status_code == 404


def test_hostile_headline_shows_as_text(client: TestClient) -> None:
    for address in ("/?q=zanzibar", f"/stories/{HOSTILE_CODE}", "/?q=clove+growers"):
        html = client.get(address).text
        assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        page = Page.of(html)
        assert HOSTILE_HEADLINE in page.text
        assert page.scripts == [{"src": "/static/app.js", "defer": None}]
        assert not page.inline_handlers


def test_right_to_left_stories_get_dir_auto(client: TestClient) -> None:
    results = Page.of(client.get("/?" + urlencode({"q": "آتش‌بس"})).text)
    story = Page.of(client.get(f"/stories/{PERSIAN_CODE}").text)
    assert PERSIAN_HEADLINE in results.text and PERSIAN_HEADLINE in story.text
    for page in (results, story):
        shown = page.with_class("headline") + page.with_class("snippet") + page.with_class("body")
        assert shown and all(attrs.get("dir") == "auto" for _, attrs in shown)
    paragraphs = [a for t, a in story.elements if t == "p" and a.get("dir") == "auto"]
    assert len(paragraphs) == 2


def test_home_page_says_what_the_index_holds(client: TestClient) -> None:
    text = " ".join(Page.of(client.get("/").text).text)
    assert "328 stories, from 26 February 1987 to 19 April 2024" in " ".join(text.split())


def test_page_timeline_picks_its_period_and_is_bounded(client: TestClient) -> None:
    years = Page.of(client.get("/?q=oil+OR+gaza").text)
    assert "Stories per year" in years.text
    assert len(years.with_class("bar")) == 2  # 1987 and 2024, the years between empty
    weeks = Page.of(client.get("/?q=oil").text)
    assert "Stories per week" in weeks.text  # the months of 1987 that data/ holds
    days = Page.of(client.get("/?q=oil+OR+gaza&by=day").text)
    assert "Stories per day" not in days.text
    assert any("too many" in t or "at most 750" in t for t in days.text)
    assert len(days.with_class("hit")) == 10  # the results are still there


def test_live_index_shows_new_stories_without_a_restart(tmp_path: Path) -> None:
    stories = tmp_path / "stories"
    stories.mkdir()
    (stories / "1.txt").write_text(story_text(code="1"), encoding="utf-8")
    index = str(tmp_path / "ix")
    assert runner.invoke(cli, ["index", str(stories), "--index", index]).exit_code == 0
    with TestClient(create_app(index)) as client:
        assert client.get("/api/search?q=okapi").json()["total"] == 0
        assert client.get("/api/stats").json()["stories"] == 1
        for n in range(2, 5):
            (stories / f"{n}.txt").write_text(
                story_text(f"Okapi sighted again, number {n}", code=str(n)), encoding="utf-8"
            )
        # another process commits while the app runs
        done = subprocess.run(
            [sys.executable, "-m", "newssearch", "index", str(stories), "--index", index],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        assert client.get("/api/search?q=okapi").json()["total"] == 3
        assert client.get("/api/stats").json()["stories"] == 4
        assert "Okapi sighted again, number 4" in client.get("/stories/4").text


def test_real_server_answers_and_stops_on_ctrl_c(web_index: str) -> None:
    with running_server(web_index) as url:
        assert url.startswith("http://127.0.0.1:")
        with httpx2.Client(base_url=url) as http:
            stats = http.get("/api/stats")
            assert stats.status_code == 200 and stats.json()["stories"] == 328
            assert "server" not in stats.headers
            # a loopback server answers loopback names only (no DNS rebinding)
            assert http.get("/api/stats", headers={"host": "localhost"}).status_code == 200
            assert http.get("/api/stats", headers={"host": "evil.example"}).status_code == 400


def test_serve_errors(web_index: str, tmp_path: Path) -> None:
    missing = runner.invoke(cli, ["serve", "--index", str(tmp_path / "none")])
    assert missing.exit_code == 2
    assert missing.stderr.startswith("Error: no index at") and missing.stderr.count("\n") == 1
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = runner.invoke(cli, ["serve", "--index", web_index, "--port", str(port)])
    assert busy.exit_code == 2
    assert busy.stderr == f"Error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    assert runner.invoke(cli, ["serve", "--port", "70000"]).exit_code == 2


def test_help_loads_no_web_module() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "newssearch", "serve", "--help"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "--port" in done.stdout
    loaded = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "newssearch.cli" in loaded
    heavy = {"starlette", "uvicorn", "jinja2", "anyio", "whoosh"}
    assert not {name.split(".")[0] for name in loaded} & heavy
    assert "newssearch.web" not in loaded
