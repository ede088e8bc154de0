"""Make docs/html-report-seed000.png, the picture of the HTML report in docs/html-report.md: seed 000
(fixtures/resnext50_all_identity.py) in headless Chromium, the top of the page.

    python docs/make_screenshot.py [--dark]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--height", type=int, default=1760)
    args = parser.parse_args()
    os.chdir(ROOT)
    from playwright.sync_api import sync_playwright
    from test_html_browser import chromium_executable

    from shapecheck.report import html
    from shapecheck.runner import check_paths

    run = check_paths(["fixtures/resnext50_all_identity.py"])
    page_path = Path(tempfile.mkdtemp(prefix="shapecheck-html-")) / "seed000.html"
    page_path.write_text(html.render(run), encoding="utf-8")
    target = ROOT / "docs" / f"html-report-seed000{'-dark' if args.dark else ''}.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable(), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        page = browser.new_page(
            viewport={"width": 1200, "height": args.height}, color_scheme="dark" if args.dark else "light"
        )
        page.goto(page_path.as_uri(), wait_until="load")
        page.screenshot(path=str(target), clip={"x": 0, "y": 0, "width": 1200, "height": args.height})
        browser.close()
    print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
