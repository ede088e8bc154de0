"""The HTML report in a real browser: headless Chromium (Debian's package; `.ci/install-browser`)
driven through Playwright's Python API with that executable (no browser download).

For every fixture, in light and dark colour schemes: the page loads with no console error,
every finding's drawing is there and visible, and each highlighted axis is readable (its
text sits inside its highlight, at a legible size and contrast). A screenshot per fixture
goes to tests/output/html/ (git-ignored) for a person to look at.

Without a browser (or Playwright) these tests skip with the reason; with CI=true they fail.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

OUT = ROOT / "tests" / "output" / "html"
FIXTURE_FILES = sorted(FIXTURES.glob("*.py"))
MAX_BYTES = 5 * 1024 * 1024
IN_CI = os.environ.get("CI", "").lower() == "true"


def chromium_executable() -> str | None:
    for candidate in (os.environ.get("SHAPECHECK_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and (shutil.which(candidate) or Path(candidate).is_file()):
            return shutil.which(candidate) or candidate
    return None


@pytest.fixture(scope="module")
def browser():
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "Playwright is not installed (python -m pip install -e '.[test]')"
    executable = chromium_executable()
    if problem is None and executable is None:
        problem = "no Chromium found (bash .ci/install-browser installs Debian's, or set SHAPECHECK_CHROMIUM)"
    if problem:
        if IN_CI:
            pytest.fail(f"CI=true: the browser tests must run, but {problem}")
        pytest.skip(problem)
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium refuses its sandbox; /dev/shm is small in containers
        launched = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield launched
        launched.close()


# Every highlighted axis: its text inside its highlight box, >= 11px, contrast >= 4.5:1.
READABILITY = """() => {
  function rgb(color) { const m = color.match(/[\\d.]+/g).map(Number); return m.slice(0, 3); }
  function luminance(c) {
    const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  function contrast(a, b) { const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); }
  const problems = [];
  let count = 0;
  document.querySelectorAll('svg.drawing text.shape').forEach(text => {
    const boxes = [];
    let node = text.previousElementSibling;
    while (node && node.classList.contains('axis-hl')) { boxes.unshift(node); node = node.previousElementSibling; }
    const spans = text.querySelectorAll('tspan.axis');
    if (spans.length !== boxes.length) { problems.push('unpaired highlight in ' + text.textContent); return; }
    spans.forEach((span, i) => {
      count += 1;
      const s = span.getBoundingClientRect(), r = boxes[i].getBoundingClientRect();
      if (s.width === 0 || s.left < r.left - 1.5 || s.right > r.right + 1.5 || s.top < r.top - 3 || s.bottom > r.bottom + 3) {
        problems.push('text outside its highlight: ' + span.textContent);
      }
      const style = getComputedStyle(span);
      if (parseFloat(style.fontSize) < 11) { problems.push('too small: ' + style.fontSize); }
      const ratio = contrast(rgb(style.fill), rgb(getComputedStyle(boxes[i]).fill));
      if (ratio < 4.5) { problems.push('contrast ' + ratio.toFixed(2) + ' for ' + span.textContent); }
    });
  });
  return {count, problems: problems.slice(0, 10)};
}"""


def open_report(browser, path: Path, scheme: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    messages: list[str] = []
    page.on(
        "console", lambda m: messages.append(f"console.{m.type}: {m.text}") if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: messages.append(f"page error: {e}"))
    page.on(
        "request", lambda r: messages.append(f"request: {r.url}") if not r.url.startswith(("file:", "data:")) else None
    )
    page.goto(path.as_uri(), wait_until="load")
    return page, messages


def drawings_expected(run) -> int:
    """One per finding, and one per other merge a grouped finding stands for (its repeats)."""
    return sum(
        1 + sum(1 for r in getattr(f, "related", ()) if getattr(r, "kind", "") == "repeat") for f in run.findings
    )


def check_page(browser, path: Path, run, scheme: str, screenshot: Path | None) -> None:
    page, messages = open_report(browser, path, scheme)
    try:
        cards = page.locator("article.finding")
        assert cards.count() == len(run.findings)
        for k in range(cards.count()):
            assert cards.nth(k).locator("svg.drawing").count() >= 1, f"finding {k} has no drawing"
        page.evaluate("() => document.querySelectorAll('details.repeats').forEach(d => { d.open = true; })")
        figures = page.locator("article.finding svg.drawing")
        assert figures.count() == drawings_expected(run)
        for k in range(figures.count()):
            figure = figures.nth(k)
            figure.scroll_into_view_if_needed()
            assert figure.is_visible(), f"drawing {k} not visible"
            box = figure.bounding_box()
            assert box and box["width"] > 100 and box["height"] > 40, (k, box)
        readable = page.evaluate(READABILITY)
        assert readable["problems"] == [], readable
        if page.locator('article.finding:is([data-code="SC101"], [data-code="SC102"], [data-code="SC201"])').count():
            assert readable["count"] > 0  # a mismatch or a broadcast has its axis highlighted
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=True)
        assert messages == []
    finally:
        page.close()


@pytest.mark.slow
@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=lambda p: p.name)
def test_fixture_report_in_a_browser(fixture, checked, browser, monkeypatch):
    from shapecheck.report import html

    run = checked(str(fixture))
    with monkeypatch.context() as debugging:  # a failing size picture fails the test, not just vanishes
        debugging.setenv("SHAPECHECK_DEBUG", "1")
        text = html.render(run)
    assert len(text.encode()) < MAX_BYTES
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{fixture.stem}.html"
    path.write_text(text, encoding="utf-8")
    check_page(browser, path, run, "light", OUT / f"{fixture.stem}.png")
    check_page(browser, path, run, "dark", OUT / f"{fixture.stem}-dark.png")


@pytest.mark.slow
def test_the_highlighted_axis_is_found_in_the_seed_000_drawings(checked, browser):
    """Seed 000: the four channel mismatches (one finding at line 51, the block called from
    four stacks) are all drawn, each with channels highlighted on both sides and the conv
    that set 256, 512, 1024 and 2048 tagged."""
    from shapecheck.report import html

    run = checked(str(FIXTURES / "resnext50_all_identity.py"))
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "seed000-check.html"
    path.write_text(html.render(run), encoding="utf-8")
    page, messages = open_report(browser, path, "light")
    try:
        figures = page.locator('article.finding[data-code="SC101"] svg.drawing')
        assert figures.count() == 4
        tags = sorted(
            t
            for k in range(4)
            for t in figures.nth(k).locator("g.tag").all_text_contents()
            if t.startswith("sets channels")
        )
        assert tags == ["sets channels: 1024", "sets channels: 2048", "sets channels: 256", "sets channels: 512"], tags
        for k in range(4):
            highlighted = figures.nth(k).locator("text.shape tspan.axis").all_text_contents()
            assert len(set(highlighted)) >= 2, highlighted  # both sides' values
        assert messages == []
    finally:
        page.close()


def test_a_layer_named_script_does_not_run(browser, tmp_path):
    """Escaping, proved in the browser: nothing user-named executes, and the page's policy
    is not even put to the test (a blocked script would log a console error)."""
    from irgraphs import GraphBuilder

    from shapecheck.analysis import check_graphs, selected_rules
    from shapecheck.graph import MergeSpec
    from shapecheck.report import html
    from shapecheck.results import FileReport, RunReport

    evil = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    b = GraphBuilder(evil)
    x = b.input((None, 8, 8, 4), name=evil)
    y = b.add("Conv2D", (None, 8, 8, 16), [x], line=2, name=evil + "conv", config={"filters": 16})
    b.add("Add", (None, 8, 8, 16), [y, x], line=3, name=evil + "add", merge=MergeSpec("elementwise"))
    path = f"models/{evil}.py"
    run = RunReport(
        [FileReport(path, models=[b.graph], findings=check_graphs([b.graph], path, selected_rules((), ())))]
    )
    report = tmp_path / "evil.html"
    report.write_text(html.render(run), encoding="utf-8")
    page, messages = open_report(browser, report, "light")
    try:
        assert page.evaluate("() => window.__pwned") is None
        assert page.locator("article.finding").count() == 1
        assert evil + "add" in page.locator("article.finding header").inner_text()  # shown as text
        assert messages == []
    finally:
        page.close()


def test_the_merge_table_filter_shows_only_the_problems(browser, tmp_path):
    from irgraphs import GraphBuilder

    from shapecheck.analysis import check_graphs, selected_rules
    from shapecheck.graph import MergeSpec
    from shapecheck.report import html
    from shapecheck.results import FileReport, RunReport

    b = GraphBuilder("two")
    x = b.input((None, 8, 8, 4))
    y = b.add("Conv2D", (None, 8, 8, 16), [x], line=2, config={"filters": 16})
    z = b.add("Conv2D", (None, 8, 8, 4), [x], line=3, config={"filters": 4})
    b.add("Add", (None, 8, 8, 4), [z, x], line=4, name="fine", merge=MergeSpec("elementwise"))
    b.add("Add", (None, 8, 8, 16), [y, x], line=5, name="broken", merge=MergeSpec("elementwise"))
    run = RunReport(
        [FileReport("m.py", models=[b.graph], findings=check_graphs([b.graph], "m.py", selected_rules((), ())))]
    )
    report = tmp_path / "two.html"
    report.write_text(html.render(run), encoding="utf-8")
    page, messages = open_report(browser, report, "light")
    try:
        rows = page.locator("table.merges tbody tr")
        assert rows.count() == 2 and all(rows.nth(k).is_visible() for k in range(2))
        page.get_by_role("button", name="only the 1 with a problem").click()
        assert [rows.nth(k).is_visible() for k in range(2)] == [False, True]
        page.get_by_role("button", name="every merge").click()
        assert all(rows.nth(k).is_visible() for k in range(2))
        assert messages == []
    finally:
        page.close()
