"""The HTML report of the seeds' 1,200-layer ResNeXt (and of seed 000, the same model with
seven mismatches drawn): its size, the time to render it, and the time headless Chromium
takes to open it: navigation start to the load event; the wall time of opening it and
painting the first screen (a screenshot); and of opening it and laying out the whole page.
Each the median of --repeat runs, a new tab each time.

    python benchmarks/bench_html.py [--repeat 5]

Needs a Chromium (bash .ci/install-browser) and Playwright (the test extra).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

MODELS = ["fixtures/resnext50_seed.py", "fixtures/resnext50_all_identity.py"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.chdir(ROOT)
    from playwright.sync_api import sync_playwright
    from test_html_browser import chromium_executable

    from shapecheck.report import html
    from shapecheck.runner import check_paths

    executable = chromium_executable()
    if executable is None:
        sys.exit("no Chromium: bash .ci/install-browser")
    out = Path(tempfile.mkdtemp(prefix="shapecheck-html-"))
    print(f"browser: {executable} (headless, {args.repeat} runs each, cpu count {os.cpu_count()})")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        print(
            f"{'model':<38} {'layers':>6} {'findings':>8} {'drawn':>5} {'size':>9} {'render':>8} {'load event':>11} {'open+paint':>12} {'open+layout':>12}"
        )
        for model in MODELS:
            run = check_paths([model])
            (graph,) = run.models
            renders, text = [], ""
            for _ in range(args.repeat):
                start = time.perf_counter()
                text = html.render(run)
                renders.append(time.perf_counter() - start)
            path = out / (Path(model).stem + ".html")
            path.write_text(text, encoding="utf-8")
            loads, paints, walls = [], [], []
            for _ in range(args.repeat):
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                start = time.perf_counter()
                page.goto(path.as_uri(), wait_until="load")
                page.evaluate("() => document.body.getBoundingClientRect().height")  # the whole page laid out
                walls.append(time.perf_counter() - start)
                loads.append(page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd") / 1000)
                page.close()
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                start = time.perf_counter()
                page.goto(path.as_uri(), wait_until="load")
                page.screenshot()  # the first screen, painted
                paints.append(time.perf_counter() - start)
                page.close()
            size = len(text.encode("utf-8")) / 1024 / 1024
            drawn = text.count('<svg class="drawing"')
            print(
                f"{model:<38} {graph.layer_count():>6} {len(run.findings):>8} {drawn:>5} {size:>6.2f} MB "
                f"{statistics.median(renders):>6.2f} s {statistics.median(loads):>9.3f} s "
                f"{statistics.median(paints):>10.3f} s {statistics.median(walls):>10.3f} s"
            )
        browser.close()
    print("targets: opens in under 2 s, under 5 MB")


if __name__ == "__main__":
    main()
