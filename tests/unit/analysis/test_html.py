"""index.html: verdict first, then the decision rule, the notes, render's tables cell for cell and the embedded
plots; every string from the data escaped; nothing fetched from anywhere."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

import pytest

from analysis.html import CAPTIONS, Plot, html_page
from analysis.render import caveats, decision_rule, notes, tables
from analysis.reportdir import write_report
from analysis.summary import Result
from core import Summary
from tests.support.reports import report_result

HOSTILE = "<script>alert('x')</script> & \"quoted\""
VOID = {"meta", "img", "br", "hr", "link", "input"}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(32))


class Page(HTMLParser):
    """What a reader of the page sees: its headings, texts by element, tables, definitions and attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.h2: list[str] = []
        self.verdict = ""
        self.tables: list[list[list[str]]] = []
        self.definitions: dict[str, str] = {}
        self.notes: list[str] = []
        self.images: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self._open: list[tuple[str, str | None, list[str]]] = []  # tag, id, the text inside so far
        self._term = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        self.links += [value or "" for name, value in attrs if name in ("src", "href")]
        if tag == "img":
            self.images.append(values)
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        if tag not in VOID:
            self._open.append((tag, values.get("id"), []))

    def handle_endtag(self, tag: str) -> None:
        _, element_id, parts = self._open.pop()
        text = "".join(parts)
        if tag in ("th", "td"):
            self.tables[-1][-1].append(text)
        elif tag == "h2":
            self.h2.append(text)
        elif tag == "dt":
            self._term = text
        elif tag == "dd":
            self.definitions[self._term] = text
        elif tag == "li":
            self.notes.append(text)
        if element_id == "verdict":
            self.verdict = text

    def handle_data(self, data: str) -> None:
        for _, _, parts in self._open:
            parts.append(data)


@pytest.fixture
def result() -> Result:
    return report_result()


@pytest.fixture
def summary(result: Result) -> Summary:
    return result.summary


def test_verdict_first_then_the_rule_the_notes_the_tables_and_the_plots(summary):
    page = Page(html_page(summary, [Plot("latency_cdf.png", PNG)]))
    assert page.h2 == ["Verdict", "Decision rule", "Notes", "Tables", "Plots"]
    assert page.verdict == summary["verdict"]
    # The notes are the terminal's and report.md's, less the rule (and any advice): those have their own section.
    assert page.notes == caveats(summary) and page.notes
    assert notes(summary)[-len(page.notes):] == page.notes
    assert decision_rule(summary["method"]) not in page.notes


def test_the_tables_are_renders_cell_for_cell(summary):
    page = Page(html_page(summary))
    shown = [[table.header, *table.rows] for table in tables(summary) if table.rows]
    assert page.tables == shown
    assert len(shown) >= 5  # variants, environments, comparisons, memory curve, recommendation, …


def test_the_decision_rule_states_this_runs_parameters(summary):
    summary["method"].update(margin=0.025, min_units=6, min_items_per_environment=4, descriptive_below=25,
                             unit="rounds", recommend_rounds=None)
    rule = Page(html_page(summary)).definitions
    assert rule["Equivalence margin"].startswith("±2.5 %")
    assert rule["Unit of analysis"].startswith("rounds: one figure per round")
    assert rule["Units for a winner"] == ("at least 6 rounds a side; an environment counts with at least 4 warm "
                                          "work items.")
    assert rule["Tails and cost"] == "indicative only below 25 rounds a side."
    assert "Advice" not in rule


def test_the_noise_floor_three_ways_and_the_rounds_advice(summary):
    method = summary["method"]
    method.update(noise_floor_ok=True, flagged_cells=[])
    assert Page(html_page(summary)).definitions["Noise floor (A/A twins)"].startswith("every A/A twin was equivalent")
    method.update(noise_floor_ok=None)
    assert Page(html_page(summary)).definitions["Noise floor (A/A twins)"].startswith("not measured")
    method.update(noise_floor_ok=False, flagged_cells=["python3.13 512 MB", "python3.12 1024 MB"],
                  recommend_rounds="Only 3 environments a side: run with --rounds 10.")
    rule = Page(html_page(summary)).definitions
    assert rule["Noise floor (A/A twins)"].startswith(
        "not met: the twin of python3.13 512 MB, python3.12 1024 MB was not shown equivalent")
    assert rule["Advice"] == "Only 3 environments a side: run with --rounds 10."


def test_every_string_from_the_data_is_escaped(summary):
    summary["verdict"] = HOSTILE
    summary["comparisons"][0]["workload"] = HOSTILE
    summary["method"].update(noise_floor_ok=False, flagged_cells=[HOSTILE], recommend_rounds=HOSTILE)
    html = html_page(summary, [Plot(HOSTILE, PNG)])
    page = Page(html)
    assert "script" not in page.tags and "<script>" not in html
    assert page.verdict == HOSTILE
    comparisons = [table.title.startswith("Comparisons") for table in tables(summary) if table.rows].index(True)
    assert page.tables[comparisons][1][3] == HOSTILE  # first row, workload column
    assert HOSTILE in page.definitions["Noise floor (A/A twins)"] and page.definitions["Advice"] == HOSTILE
    assert page.images[0]["alt"] == HOSTILE  # an unknown plot is captioned with its (escaped) name


def test_the_report_directory_embeds_every_plot_and_requests_nothing(result, tmp_path):
    directory = write_report(result, tmp_path)
    page = Page((directory / "index.html").read_text(encoding="utf-8"))
    pngs = sorted(path.name for path in directory.glob("*.png"))
    assert len(pngs) == len(CAPTIONS) == len(page.images)
    embedded = {image["alt"]: base64.b64decode((image["src"] or "").removeprefix("data:image/png;base64,"))
                for image in page.images}
    assert embedded == {CAPTIONS[name]: (directory / name).read_bytes() for name in pngs}
    assert all(link.startswith("data:image/png;base64,") for link in page.links)
    assert {"link", "script", "iframe", "object"}.isdisjoint(page.tags)


def test_without_plots_the_page_has_no_plot_section(result, tmp_path):
    directory = write_report(result, tmp_path, plots=False)
    page = Page((directory / "index.html").read_text(encoding="utf-8"))
    assert page.images == [] and "Plots" not in page.h2 and page.verdict == result.summary["verdict"]
