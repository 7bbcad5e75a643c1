"""``index.html``: the whole report as one file that any browser opens offline, so it can be attached to a ticket
or a CI run as it is. The CSS is inline and every plot is embedded as a ``data:`` URI: the page requests nothing.

It lays out what the terminal and ``report.md`` say (``analysis.render``'s tables and notes) and never computes a
figure of its own. Every string from the data is escaped: variant ids and workload names come from the logs.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from analysis.render import TextTable, caveats, tables
from core import Method, Summary

# A few dozen lines, light and dark: the plots are light PNGs, so they keep a light frame in the dark scheme.
CSS = """
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #59636e; --rule: #d1d9e0;
        --stripe: #f6f8fa; --warn: #9a6700; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --rule: #3d444d; --stripe: #151b23; --warn: #d29922; }
}
body { font: 15px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); margin: 0 auto;
       max-width: 72rem; padding: 1.5rem; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; border-bottom: 1px solid var(--rule); }
h3 { font-size: 1rem; margin: 1.25rem 0 .4rem; }
.meta, figcaption { color: var(--muted); font-size: .9rem; }
#verdict { font-size: 1.1rem; border-left: 4px solid var(--fg); padding: .5rem 1rem; margin: 1rem 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; }
.warn { color: var(--warn); font-weight: 600; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: .88rem; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid var(--rule); text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
tbody tr:nth-child(even) { background: var(--stripe); }
figure { margin: 1.5rem 0; }
img { max-width: 100%; height: auto; background: #fff; border: 1px solid var(--rule); }
"""

# What each of analysis.plots' files shows; a plot not listed here is captioned with its file name.
CAPTIONS = {
    "latency_cdf.png": "Warm workload time, cumulative distribution per variant.",
    "latency_over_time.png": "Every work item's workload time across the run: drift, warm-up and outliers.",
    "cold_start_init.png": "Init durations of the cold starts, per variant.",
    "cost_per_million.png": "Cost per million work items, per workload and variant.",
    "cost_vs_duration.png": "Each variant's cost per million against its median warm workload time, with both "
                            "95 % intervals; memory sizes labelled.",
    "memory_curve.png": "Median and p99 warm workload time and cost per million against the memory size, per "
                        "architecture and runtime.",
}

UNIT_MEANING = {"environments": "one figure per execution environment (one Lambda process)",
                "rounds": "one figure per round, paired across the variants",
                "cold starts": "one figure per cold start"}
INTERVALS = {"environments": "Welch t interval of the ratio on the log scale",
             "rounds": "paired t interval of the per-round log differences (R − 1 degrees of freedom)",
             "cold starts": "Welch t interval of the ratio on the log scale"}


@dataclass(frozen=True)
class Plot:
    """A PNG of the report, by its file name."""

    name: str
    png: bytes


def html_page(summary: Summary, plots: Sequence[Plot] = ()) -> str:
    """The report as one self-contained HTML document: verdict, decision rule, notes, tables, plots."""
    run_id = escape(summary["run_id"])
    window = summary["window"]
    meta = (f"Source {escape(summary['source'])}; window {escape(window['start'])} – {escape(window['end'])}; "
            f"local emulation: {'yes' if summary['local_emulation'] else 'no'}.")
    body = [f"<h1>archbench comparison — run {run_id}</h1>", f'<p class="meta">{meta}</p>',
            '<h2>Verdict</h2>', f'<p id="verdict">{escape(summary["verdict"])}</p>',
            _method_section(summary["method"]), _notes_section(caveats(summary)),
            '<h2>Tables</h2>', *(_table(table) for table in tables(summary)), _plots_section(plots)]
    return ("<!doctype html>\n"
            f'<html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>archbench — run {run_id}</title>'
            f"<style>{CSS}</style></head>\n<body>\n" + "\n".join(part for part in body if part) + "\n</body></html>\n")


def _method_section(method: Method) -> str:
    """The decision rule with this run's parameters, then whether the A/A twins showed the bench can resolve it."""
    unit = method["unit"]
    margin = f"±{method['margin'] * 100:g} %"
    rows = [
        ("Equivalence margin", f"{margin}: a ratio whose 95 % interval lies inside it is “equivalent”; a winner "
                               f"needs the whole interval outside it."),
        ("Unit of analysis", f"{unit}: {UNIT_MEANING[unit]}; {INTERVALS[unit]}."),
        ("Units for a winner", f"at least {method['min_units']} {unit} a side; an environment counts with at least "
                               f"{method['min_items_per_environment']} warm work items."),
        ("Tails and cost", f"indicative only below {method['descriptive_below']} {unit} a side."),
        ("Noise floor (A/A twins)", _noise_floor(method)),
    ]
    if method["recommend_rounds"]:
        rows.append(("Advice", f'<span class="warn">{escape(method["recommend_rounds"])}</span>'))
    items = "".join(f"<dt>{term}</dt><dd>{text}</dd>" for term, text in rows)
    return f'<h2>Decision rule</h2>\n<dl id="method">{items}</dl>'


def _noise_floor(method: Method) -> str:
    flagged = ", ".join(escape(cell) for cell in method["flagged_cells"])
    if method["noise_floor_ok"] is None:
        return "not measured: the matrix has no A/A twin."
    if method["noise_floor_ok"]:
        return "every A/A twin was equivalent to its sibling: the bench resolves the margin."
    return (f'<span class="warn">not met: the twin of {flagged or "some cell"} was not shown equivalent to its '
            "sibling (too few units to tell, or a difference: the verdict says which), so a difference there may "
            "be the bench's own noise.</span>")


def _notes_section(caveats: list[str]) -> str:
    if not caveats:
        return ""
    return "<h2>Notes</h2>\n<ul>" + "".join(f"<li>{escape(note)}</li>" for note in caveats) + "</ul>"


def _table(table: TextTable) -> str:
    title = f"<h3>{escape(table.title)}</h3>"
    if not table.rows:
        return title
    head = "".join(f'<th scope="col">{escape(cell)}</th>' for cell in table.header)
    rows = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in table.rows)
    return f'{title}\n<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>'


def _plots_section(plots: Sequence[Plot]) -> str:
    if not plots:
        return ""
    figures = []
    for plot in plots:
        caption = escape(CAPTIONS.get(plot.name, plot.name))
        data = base64.b64encode(plot.png).decode("ascii")
        figures.append(f'<figure><img src="data:image/png;base64,{data}" alt="{caption}">'
                       f"<figcaption>{caption} <code>{escape(plot.name)}</code></figcaption></figure>")
    return "<h2>Plots</h2>\n" + "\n".join(figures)
