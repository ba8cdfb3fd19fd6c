"""The search page in a real browser: headless Chromium drives `newssearch serve` over an
index of data/ as a reader would, with JavaScript on and off.

Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); skips, saying so,
where they are missing. With NEWSSEARCH_SCREENSHOT=path.png set, it saves a screenshot of a
results page there (the README's picture).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from .conftest import HOSTILE_HEADLINE, PERSIAN_HEADLINE, running_server

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or not os.path.exists(CHROMEDRIVER),
    reason="no browser: install Debian's chromium and chromium-driver to run the browser test",
)


@pytest.fixture(scope="module")
def server(web_index: str) -> Iterator[str]:
    with running_server(web_index) as url:
        yield url


def open_browser(profile: Path, *, javascript: bool) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    assert CHROMIUM is not None
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1100,1300",
        "--lang=en-GB",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


@dataclass
class Browser:
    driver: webdriver.Chrome
    javascript: bool


@pytest.fixture(scope="module", params=[True, False], ids=["javascript", "no-javascript"])
def browser(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    javascript: bool = request.param
    driver = open_browser(tmp_path_factory.mktemp("profile"), javascript=javascript)
    try:
        yield Browser(driver, javascript)
    finally:
        driver.quit()


def scripts_ran(d: webdriver.Chrome) -> bool:
    """Whether the page's own script ran: it marks the page (WebDriver's execute_script
    would run even where the page's scripts are off)."""
    return "js" in (d.find_element(By.TAG_NAME, "html").get_attribute("class") or "").split()


def wait_for(driver: webdriver.Chrome, fragment: str) -> None:
    WebDriverWait(driver, 15).until(ec.url_contains(fragment))


def texts(elements: list[WebElement]) -> list[str]:
    return [e.text for e in elements]


def no_alert(driver: webdriver.Chrome) -> bool:
    try:
        driver.switch_to.alert  # noqa: B018 -- reading it is the test
    except NoAlertPresentException:
        return True
    return False


def test_a_reader_searches_pages_reads_and_follows(browser: Browser, server: str) -> None:
    d = browser.driver
    d.get(server)
    assert "328 stories" in d.find_element(By.CSS_SELECTOR, ".intro").text

    # type a query and a date range (two of the forms the command line takes)
    d.find_element(By.ID, "q").send_keys("cocoa")
    d.find_element(By.ID, "since").send_keys("1987-03")
    d.find_element(By.ID, "until").send_keys("March 1987")
    d.find_element(By.ID, "q").send_keys(Keys.ENTER)
    wait_for(d, "q=cocoa")
    assert "since=1987-03" in d.current_url and "until=March+1987" in d.current_url
    assert d.find_element(By.CSS_SELECTOR, ".count").text == "24 stories match; showing 1-10"
    hits = d.find_elements(By.CSS_SELECTOR, "li.hit")
    assert len(hits) == 10
    dates = [h.find_element(By.TAG_NAME, "time").get_attribute("datetime") or "" for h in hits]
    assert all(date.startswith("1987-03") for date in dates), dates
    marks = texts(d.find_elements(By.CSS_SELECTOR, ".snippet mark"))
    assert marks and all(m.lower().startswith("cocoa") for m in marks)
    bars = d.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar")
    assert bars and all(b.is_displayed() for b in bars)
    assert d.find_element(By.ID, "timeline-title").text == "Stories per day"
    if shot := os.environ.get("NEWSSEARCH_SCREENSHOT"):
        d.save_screenshot(shot)
    first_page = texts(d.find_elements(By.CSS_SELECTOR, "li.hit .headline"))

    # the next page continues where the first stopped; the address says which page
    d.find_element(By.CSS_SELECTOR, "a[rel=next]").click()
    wait_for(d, "page=2")
    assert d.find_element(By.CSS_SELECTOR, ".count").text == "24 stories match; showing 11-20"
    second_page = texts(d.find_elements(By.CSS_SELECTOR, "li.hit .headline"))
    assert len(second_page) == 10 and not set(first_page) & set(second_page)
    assert d.find_element(By.ID, "since").get_attribute("value") == "1987-03"

    # open a story
    link = d.find_element(By.CSS_SELECTOR, "li.hit .headline a")
    headline = link.text
    link.click()
    wait_for(d, "/stories/")
    assert d.find_element(By.CSS_SELECTOR, "h1.headline").text == headline
    paragraphs = d.find_elements(By.CSS_SELECTOR, ".story .body p")
    assert paragraphs and "cocoa" in " ".join(texts(paragraphs)).lower()
    story_address = d.current_url

    # follow a similar story
    similar = d.find_elements(By.CSS_SELECTOR, "section.similar a.headline")
    assert 1 <= len(similar) <= 5
    other = similar[0].text
    assert other and other != headline
    similar[0].click()
    WebDriverWait(d, 15).until(lambda drv: drv.current_url != story_address)
    assert d.find_element(By.CSS_SELECTOR, "h1.headline").text == other

    # and back to the results, where the search was left
    d.find_element(By.CSS_SELECTOR, ".back a").click()
    wait_for(d, "page=2")
    assert texts(d.find_elements(By.CSS_SELECTOR, "li.hit .headline")) == second_page
    log = d.get_log("browser")  # type: ignore[no-untyped-call]
    severe = [e for e in log if e["level"] == "SEVERE"]
    assert not severe, severe  # no script or style refused by the CSP, no missing file


def test_a_hostile_headline_shows_as_text(browser: Browser, server: str) -> None:
    d = browser.driver
    d.get(server + "?q=zanzibar")
    headline = d.find_element(By.CSS_SELECTOR, "li.hit .headline")
    assert headline.text == HOSTILE_HEADLINE
    assert no_alert(d)
    headline.find_element(By.TAG_NAME, "a").click()
    wait_for(d, "/stories/")
    assert d.find_element(By.CSS_SELECTOR, "h1.headline").text == HOSTILE_HEADLINE
    body = d.find_element(By.CSS_SELECTOR, ".story .body").text
    assert "<img src=x onerror=alert(2)>" in body
    assert not d.find_elements(By.CSS_SELECTOR, ".story img")
    assert no_alert(d)


def test_right_to_left_text_reads_right_to_left(browser: Browser, server: str) -> None:
    d = browser.driver
    d.get(server)
    d.find_element(By.ID, "q").send_keys("آتش‌بس", Keys.ENTER)
    wait_for(d, "q=")
    headline = d.find_element(By.CSS_SELECTOR, "li.hit .headline")
    assert headline.text == PERSIAN_HEADLINE
    assert headline.value_of_css_property("direction") == "rtl"
    snippet = d.find_element(By.CSS_SELECTOR, "li.hit .snippet")
    assert snippet.value_of_css_property("direction") == "rtl"
    assert d.find_element(By.ID, "q").value_of_css_property("direction") == "rtl"
    headline.find_element(By.TAG_NAME, "a").click()
    wait_for(d, "/stories/")
    for element in d.find_elements(By.CSS_SELECTOR, "h1.headline, .story .body p"):
        assert element.value_of_css_property("direction") == "rtl"
    d.get(server + "?q=cocoa")
    english = d.find_element(By.CSS_SELECTOR, "li.hit .headline")
    assert english.value_of_css_property("direction") == "ltr"


def test_javascript_only_adds(browser: Browser, server: str) -> None:
    d = browser.driver
    d.get(server + "?q=oil")
    assert scripts_ran(d) == browser.javascript
    ActionChains(d).send_keys("/").perform()
    focused = d.switch_to.active_element.get_attribute("id")
    Select(d.find_element(By.ID, "sort")).select_by_value("newest")
    if browser.javascript:
        assert focused == "q"  # "/" jumps to the search box
        wait_for(d, "sort=newest")  # a new order applies at once
    else:
        assert focused != "q"
        assert "sort=" not in d.current_url
        d.find_element(By.ID, "go").click()  # without script, the button applies it
        wait_for(d, "sort=newest")
    dates = [
        t.get_attribute("datetime") or "" for t in d.find_elements(By.CSS_SELECTOR, "li.hit time")
    ]
    assert len(dates) == 10 and dates == sorted(dates, reverse=True)
