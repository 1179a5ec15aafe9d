"""The search page in a real browser: Debian's chromium, driven by Playwright, over the stack's API.

Our own articles are ingested through the real workers (the multilingual search fixture, one
article whose text looks like markup, and one record without body text, which is
quarantined); every search is scoped to their folder with the origin filter, so other tests'
articles never interfere. A missing browser or Playwright fails these tests, never skips
them (`scripts/setup` installs both). Screenshots go to each test's tmp_path; with
NEWSWORKER_WRITE_SCREENSHOT=1 the README's docs/search-page.png is written too.
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.integration.conftest import ROOT, Stack

pytestmark = pytest.mark.integration
FIXTURE = ROOT / "tests" / "fixtures" / "search" / "multilingual.jsonl"
CHROMIUM = Path("/usr/bin/chromium")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
README_SHOT = ROOT / "docs" / "search-page.png"
# Looks like markup, must show as text: the page turns only the API's <mark> into elements.
MARKUP = {"url": "https://news.example.com/world/zebrafinch-markup",
          "published_at": "2024-03-08T09:00:00Z",
          "title": "Zebrafinch <script>alert(1)</script> census & <u>tally</u>",
          "body": "Zebrafinch counters wrote <script>alert('x')</script> and <u>underlined</u> "
                  "words & kept them as text.\n\nThe zebrafinch census tests how pages show text."}
NO_BODY = {"url": "https://news.example.com/world/page-test-no-body", "title": "No text here"}
TITLES = {json.loads(line)["title"].split()[0]: json.loads(line)["title"]
          for line in FIXTURE.read_text(encoding="utf-8").splitlines()}
PUTIN, ALEPPO, DPR = TITLES["Putin"], TITLES["Aleppo"], TITLES["DPR"]

expect.set_options(timeout=20_000)


@dataclass
class Corpus:
    folder: str
    job_id: str

    def query(self, **params: str) -> str:
        """A page address scoped to our articles."""
        return "/?" + urllib.parse.urlencode({**params, "origin": self.folder})


@pytest.fixture(scope="module")
def corpus(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    folder = tmp_path_factory.mktemp("page-corpus")
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    lines += [json.dumps(MARKUP), json.dumps(NO_BODY)]
    (folder / "page.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = stack.json("ingest", str(folder / "page.jsonl"), "--wait", "--timeout", "300")
    # Other tests may have indexed the fixture's URLs already: then our folder is an origin more.
    assert summary["indexed"] + summary["duplicates"] == 8, summary
    assert summary["quarantined"] == 1, summary
    return Corpus(str(folder), str(summary["job_id"]))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup (it installs Debian's chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Tab:
    """A page of the API's site, recording what a person would not see: errors, foreign URLs."""

    page: Page
    base: str
    foreign: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.settled()

    def settled(self) -> None:
        """The page has drawn the answers of its last request."""
        expect(self.page.locator("body")).not_to_have_class(re.compile(r"\bbusy\b"))

    def titles(self) -> list[str]:
        return self.page.locator("#hits .hit h3").all_inner_texts()

    def facet_count(self, facet: str, value: str) -> str:
        return self.page.locator(
            f'[data-facet="{facet}"] .facet-value[data-value="{value}"] .count').inner_text()

    def params(self) -> dict[str, list[str]]:
        return urllib.parse.parse_qs(urllib.parse.urlsplit(self.page.url).query)

    def no_horizontal_overflow(self) -> None:
        widths = self.page.evaluate(
            "[document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]")
        assert max(widths[:2]) <= widths[2], (self.page.url, widths)

    def shot(self, path: Path, *, full_page: bool = True) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=full_page)

    def clean(self) -> None:
        """Nothing was fetched from another origin, and the scripts raised nothing."""
        assert self.foreign == [], self.foreign
        assert self.errors == [], self.errors


def _tab(browser: Browser, stack: Stack, **context: Any) -> Iterator[Tab]:
    base = stack.url_of("api")
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    tab = Tab(page, base)
    page.on("request", lambda r: None if r.url.startswith((base + "/", "data:"))
            else tab.foreign.append(r.url))
    page.on("pageerror", lambda exc: tab.errors.append(f"page error: {exc}"))
    page.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
    try:
        yield tab
    finally:
        ctx.close()


@pytest.fixture
def tab(browser: Browser, stack: Stack) -> Iterator[Tab]:
    yield from _tab(browser, stack, viewport=DESKTOP)


@pytest.fixture
def phone(browser: Browser, stack: Stack) -> Iterator[Tab]:
    yield from _tab(browser, stack, viewport=PHONE, device_scale_factor=2, is_mobile=True,
                    has_touch=True)


def test_query_entity_filter_and_facets(tab: Tab, corpus: Corpus, tmp_path: Path) -> None:
    page = tab.page
    tab.open(corpus.query())
    expect(page.locator("#summary")).to_have_attribute("data-total", "8")
    assert "English (en)" in page.locator('[data-facet="lang"]').inner_text()

    page.fill("#q", "ceasefire")
    page.press("#q", "Enter")
    tab.settled()
    assert tab.params()["q"] == ["ceasefire"]
    assert set(tab.titles()) == {PUTIN, ALEPPO}
    marks = page.locator("#hits .snippet mark").all_inner_texts()
    assert marks and {m.lower() for m in marks} == {"ceasefire"}
    assert tab.facet_count("lang", "en") == "2"

    page.fill("#entity-input", "Syria")
    page.press("#entity-input", "Enter")
    tab.settled()
    assert tab.params()["entity"] == ["Syria"] and tab.params()["q"] == ["ceasefire"]
    assert tab.titles() == [PUTIN]  # the follow-up story names no Syria
    assert tab.facet_count("lang", "en") == "1"  # the facet counts follow the filters
    expect(page.locator('#active .active-filter[data-filter="entity"]')).to_have_text(
        re.compile("Syria"))

    page.fill("#q", "")
    page.press("#q", "Enter")
    tab.settled()
    assert set(tab.titles()) == {PUTIN, DPR}  # "Suriah" in Indonesian is Syria too
    assert tab.facet_count("lang", "id") == "1"
    tab.shot(tmp_path / "entity-filter.png")

    page.click('[data-facet="lang"] .facet-value[data-value="id"]')
    tab.settled()
    assert tab.params()["lang"] == ["id"]
    assert tab.titles() == [DPR]
    expect(page.locator("#lang")).to_have_value("id")
    tab.clean()


def test_chips_facet_values_chart_and_more_results(tab: Tab, corpus: Corpus,
                                                   tmp_path: Path) -> None:
    page = tab.page
    tab.open(corpus.query(sort="newest", size="3"))
    expect(page.locator("#sort")).to_have_value("newest")  # the address is the state
    assert len(tab.titles()) == 3
    page.click("#more")
    tab.settled()
    assert len(tab.titles()) == 6
    page.click("#more")
    tab.settled()
    assert len(set(tab.titles())) == 8
    expect(page.locator("#more")).to_be_hidden()

    bars = page.locator("#chart rect.bar")
    expect(bars).to_have_count(5)  # 2024-03-04 .. 2024-03-08, one bar a day
    assert sum(int(c) for c in
               bars.evaluate_all("bars => bars.map(b => b.dataset.count)")) == 8
    page.click('#chart rect.bar[data-day="2024-03-06"]')
    tab.settled()
    assert tab.params()["from"] == ["2024-03-06"] and tab.params()["to"] == ["2024-03-06"]
    assert set(tab.titles()) == {TITLES["Les"], TITLES["Bundestag"]}  # the whole of that day

    tab.open(corpus.query())
    putin_hit = page.locator(".hit", has_text=PUTIN)
    putin_hit.locator('.chip.entity[data-entity="PER:Vladimir Putin"]').click()
    tab.settled()
    assert tab.params()["entity"] == ["PER:Vladimir Putin"]
    assert set(tab.titles()) == {PUTIN, ALEPPO}
    page.click('[data-facet="entity-PER"] .facet-value[data-value="Recep Tayyip Erdogan"]')
    tab.settled()
    assert tab.params()["entity"] == ["PER:Vladimir Putin", "PER:Recep Tayyip Erdogan"]
    assert tab.titles() == [ALEPPO]
    expect(page.locator(
        '[data-facet="entity-PER"] .facet-value[data-value="Recep Tayyip Erdogan"]'
    )).to_have_attribute("aria-pressed", "true")
    page.click('#active .active-filter[data-value="PER:Vladimir Putin"] .remove')
    tab.settled()
    assert tab.params()["entity"] == ["PER:Recep Tayyip Erdogan"]
    page.click('[data-facet="site"] .facet-value[data-value="news.example.com"]')
    tab.settled()
    assert tab.params()["site"] == ["news.example.com"] and tab.titles() == [ALEPPO]
    tab.shot(tmp_path / "chips-and-facets.png")
    tab.clean()


def test_article_view_and_its_document(tab: Tab, corpus: Corpus, tmp_path: Path) -> None:
    page = tab.page
    tab.open(corpus.query(q="setuju"))
    assert tab.titles() == [DPR]
    json_href = page.locator(".hit .json").get_attribute("href") or ""
    page.click(".hit h3 a")
    tab.settled()
    assert tab.params()["view"] == ["article"]
    expect(page.locator("#article h1")).to_have_text(DPR)
    expect(page.locator("#article .body")).to_contain_text("Suriah")
    assert not re.search(r"\b(null|undefined)\b", page.locator("#article").inner_text())
    assert page.locator("#article .json").get_attribute("href") == json_href
    document = page.request.get(tab.base + json_href).json()
    assert document["title"] == DPR and document["language"] == "id"
    tab.shot(tmp_path / "article.png")
    page.go_back()
    tab.settled()
    assert tab.titles() == [DPR] and tab.params()["q"] == ["setuju"]
    tab.clean()


def test_markup_in_article_text_stays_text(tab: Tab, corpus: Corpus) -> None:
    page = tab.page
    tab.open(corpus.query(q="zebrafinch"))
    assert tab.titles() == [MARKUP["title"]]
    assert "<script>alert('x')</script>" in page.locator(".hit .snippet").first.inner_text()
    made = page.locator("#hits .hit h3 a *, #hits .snippet *").evaluate_all(
        "nodes => nodes.map(n => n.tagName)")
    assert made and set(made) == {"MARK"}, made
    assert page.locator("#hits script, #hits u").count() == 0
    tab.clean()


def test_bad_input_shows_the_reason(tab: Tab, corpus: Corpus) -> None:
    tab.open(corpus.query(lang="xx"))
    expect(tab.page.locator("#error")).to_contain_text("unknown language 'xx'")
    assert tab.titles() == []
    assert tab.foreign == []
    assert not [e for e in tab.errors if e.startswith("page error")]  # the 400 is only logged


def test_quarantine_list_with_reasons(tab: Tab, corpus: Corpus, tmp_path: Path) -> None:
    page = tab.page
    tab.open("/")
    page.click("#nav-quarantine")
    tab.settled()
    page.fill("#job", corpus.job_id)
    page.press("#job", "Enter")
    tab.settled()
    assert tab.params()["view"] == ["quarantine"] and tab.params()["job"] == [corpus.job_id]
    entries = page.locator("#quarantine-list .q-entry")
    expect(entries).to_have_count(1)
    expect(entries.locator(".reason")).to_contain_text("no body text")
    expect(entries.locator(".stage")).to_have_text("parse")
    page.select_option("#stage", "index")
    tab.settled()
    expect(entries).to_have_count(0)
    expect(page.locator("#quarantine-summary")).to_contain_text("Nothing quarantined")
    page.select_option("#stage", "parse")
    tab.settled()
    expect(entries).to_have_count(1)
    tab.shot(tmp_path / "quarantine.png")
    tab.clean()


def test_phone_width_has_no_horizontal_overflow(phone: Tab, corpus: Corpus,
                                                tmp_path: Path) -> None:
    page = phone.page
    phone.open(corpus.query(q="Aleppo"))
    assert set(phone.titles()) == {PUTIN, ALEPPO, DPR}
    phone.no_horizontal_overflow()
    results = page.locator(".results").bounding_box()
    side = page.locator(".side").bounding_box()
    assert results and side and side["y"] >= results["y"] + results["height"]  # one column
    assert side["width"] <= PHONE["width"]
    phone.shot(tmp_path / "phone-search.png")
    page.click(".hit h3 a >> nth=0")
    phone.settled()
    phone.no_horizontal_overflow()
    phone.open(f"/?view=quarantine&job={corpus.job_id}")
    expect(page.locator("#quarantine-list .q-entry")).to_have_count(1)
    phone.no_horizontal_overflow()  # the long origin path wraps
    phone.shot(tmp_path / "phone-quarantine.png")
    phone.clean()


def test_screenshot_for_the_readme(tab: Tab, corpus: Corpus, tmp_path: Path) -> None:
    tab.open(corpus.query(q="Aleppo"))
    assert set(tab.titles()) == {PUTIN, ALEPPO, DPR}
    assert not re.search(r"\b(null|undefined)\b", tab.page.locator("main").inner_text())
    tab.shot(tmp_path / "search-page.png", full_page=False)
    if os.environ.get("NEWSWORKER_WRITE_SCREENSHOT") == "1":
        tab.shot(README_SHOT, full_page=False)
    tab.clean()
