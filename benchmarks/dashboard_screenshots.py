"""The README's dashboard pictures, taken in Debian's Chromium through Playwright.

    python -m t2iqa.benchmarks.dashboard_screenshots GALLERY_STORE LEADERBOARD_STORE [OUT_DIR]

The gallery comes from a store with real check results (``make demo`` imports its QA samples
into ``demo-store`` as run ``qa-samples``); the leaderboard from a synthetic four-model store
(``python -m t2iqa.benchmarks.synthetic_store``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from t2iqa.benchmarks.speed_dashboard import launch_chromium, wait_rendered
from t2iqa.dashboard import serve


def shoot(
    store: Path, url_query: str, page_name: str, out: Path, height: int,
    expected: list[tuple[str, int]] | None = None,
) -> None:  # fmt: skip
    from playwright.sync_api import sync_playwright

    with serve(store) as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1400, "height": height})
        page.goto(f"{url}/?{url_query}")
        wait_rendered(page, page_name, expected)
        page.wait_for_timeout(500)
        page.screenshot(path=str(out))
        browser.close()
    print(f"wrote {out}")


def main() -> None:
    gallery_store, board_store = Path(sys.argv[1]), Path(sys.argv[2])
    out = Path(sys.argv[3]) if len(sys.argv) > 3 else Path("dashboard/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    gallery = [('[data-testid="stImage"] img', 1)]
    shoot(gallery_store, "page=gallery", "gallery", out / "gallery.png", 1250, gallery)
    shoot(board_store, "page=leaderboard", "leaderboard", out / "leaderboard.png", 1100)


if __name__ == "__main__":
    main()
