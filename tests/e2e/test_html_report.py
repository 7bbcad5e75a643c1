"""index.html in a real browser: Debian's chromium, headless, opens the report from disk, and a probe script that
this test adds to a copy of the page reports what the reader would see — the verdict, every plot decoded, no
request but the embedded images.

Without chromium the test is skipped (``apt-get install chromium``); under CI=true a missing browser fails it:
.ci/run installs it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Callable
from html import unescape
from pathlib import Path

import pytest

from analysis import write_report
from tests.support.reports import report_result

IN_CI = os.environ.get("CI", "").lower() == "true"
BROWSER_TIMEOUT_S = 60
# Runs on the load event: each image's state, the resources fetched, the verdict's text, into one <pre>.
PROBE = """<script>
addEventListener("load", () => {
  const probe = document.createElement("pre");
  probe.id = "probe";
  probe.textContent = JSON.stringify({
    images: [...document.images].map(image => ({loaded: image.complete && image.naturalWidth > 0,
                                                width: image.naturalWidth, height: image.naturalHeight})),
    requests: performance.getEntriesByType("resource").map(entry => entry.name),
    verdict: document.getElementById("verdict").textContent,
    headings: [...document.querySelectorAll("h2")].map(heading => heading.textContent),
  });
  document.body.append(probe);
});
</script>"""
PROBE_OUTPUT = re.compile(r'<pre id="probe">(.*?)</pre>', re.DOTALL)


def chromium() -> str:
    path = shutil.which("chromium")
    if path:
        return path
    if IN_CI:
        pytest.fail("chromium is not installed, and CI=true never skips the browser test (.ci/run installs it)")
    pytest.skip("chromium is not installed (Debian: apt-get install chromium): the headless browser check is skipped")


def dump_dom(browser: str, page: Path, profile: Path) -> str:
    """The DOM after the load event, from a headless chromium that exits by itself (stopped by its pid if not)."""
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={profile}",
               "--dump-dom", page.as_uri()]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        out, err = process.communicate(timeout=BROWSER_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"chromium did not finish within {BROWSER_TIMEOUT_S} s")
    assert process.returncode == 0, err[-2000:]
    return out


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_the_report_opens_offline_with_its_verdict_and_every_plot(tmp_path):
    browser = chromium()
    result = report_result()
    summary = result.summary
    directory = write_report(result, tmp_path / "report")
    html = (directory / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:|//)""", html, re.IGNORECASE)
    probed = tmp_path / "probed" / "index.html"  # elsewhere: the page may not lean on the PNG files beside it
    probed.parent.mkdir()
    probed.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")

    found = PROBE_OUTPUT.search(dump_dom(browser, probed, tmp_path / "profile"))
    assert found, "the probe did not run"
    seen = json.loads(unescape(found.group(1)))

    assert seen["verdict"] == summary["verdict"]
    assert seen["headings"][0] == "Verdict" and seen["headings"][-1] == "Plots"
    sizes = [png_size(path.read_bytes()) for path in sorted(directory.glob("*.png"), key=_page_order(html))]
    assert len(seen["images"]) == len(sizes) == 6
    assert [image["loaded"] for image in seen["images"]] == [True] * 6
    assert [(image["width"], image["height"]) for image in seen["images"]] == sizes
    assert all(name.startswith("data:") for name in seen["requests"]), seen["requests"]


def _page_order(html: str) -> Callable[[Path], int]:
    """Sort key: where the plot's file name is shown on the page."""
    return lambda path: html.index(f"<code>{path.name}</code>")
