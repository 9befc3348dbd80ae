"""Dashboard page times on a store of 5,000+ images (4 runs x 216 core prompts x 6 seeds).

For every page: the script run time through Streamlit's AppTest, cold (first visit in a
fresh process, caches empty) and warm (a new session afterwards, cached store queries), and,
with Chromium present, the time a real browser takes from navigation until the page has
rendered, as a user sees it. Target: under 2 s per page.

    python -m t2iqa.benchmarks.speed_dashboard [--store DIR] [--runs 4 --seeds 6]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from t2iqa.dashboard import APP_PATH, PAGE_TITLES, serve

PAGES = ("runs", "leaderboard", "gallery", "compare", "check")
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright never downloads a browser here
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
# What each page shows once rendered: (CSS selector, minimum count). The browser test
# checks the same things.
RENDERED = {
    "runs": [('[data-testid="stDataFrame"]', 1)],
    "leaderboard": [('[data-testid="stVegaLiteChart"]', 2), ('[data-testid="stDataFrame"]', 1)],
    "gallery": [('[data-testid="stImage"] img', 24)],
    "compare": [('[data-testid="stImage"] img', 16)],
    "check": [('[data-testid="stFileUploader"]', 1)],
    "arena": [('[data-testid="stImage"] img', 2)],
}
IMAGES_DECODED = (
    "() => [...document.querySelectorAll('[data-testid=\"stImage\"] img')]"
    ".every(i => i.complete && i.naturalWidth > 0)"
)


def launch_chromium(playwright: Any) -> Any:
    """Headless Debian Chromium through a started Playwright (tests, benchmark, screenshots)."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


def wait_rendered(
    page: Any, name: str, expected: Sequence[tuple[str, int]] | None = None,
    timeout_ms: float = 90_000,
) -> None:  # fmt: skip
    """A cold server first serves a blank shell: wait for the page's heading, its content
    (``expected``, default ``RENDERED[name]``) and every picture decoded."""
    page.get_by_role("heading", name=PAGE_TITLES[name]).first.wait_for(timeout=timeout_ms)
    for selector, minimum in RENDERED[name] if expected is None else expected:
        page.wait_for_function(
            f"() => document.querySelectorAll('{selector}').length >= {minimum}",
            timeout=timeout_ms,
        )
    page.wait_for_function(IMAGES_DECODED, timeout=timeout_ms)


def ensure_store(root: Path, runs: int, seeds: int) -> int:
    from t2iqa.benchmarks.synthetic_store import main as write_store
    from t2iqa.store.db import Store

    if not (root / "t2iqa.sqlite").is_file():
        write_store([str(root), "--runs", str(runs), "--seeds", str(seeds), "--side", "256"])
    with Store(root, read_only=True) as store:
        return sum(count for count, _ in store.image_totals().values())


def apptest_times(root: Path) -> dict[str, tuple[float, float]]:
    from streamlit.testing.v1 import AppTest

    os.environ["T2IQA_STORE"] = str(root)
    out = {}
    for page in PAGES:
        times = []
        for _ in range(2):  # cold, then warm (a new session: only the caches carry over)
            at = AppTest.from_file(str(APP_PATH), default_timeout=300)
            at.query_params["page"] = page
            start = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - start)
            assert not at.exception, at.exception
        out[page] = (times[0], times[1])
    return out


def browser_times(root: Path) -> dict[str, tuple[float, float]]:
    from playwright.sync_api import sync_playwright

    out = {}
    start = time.perf_counter()
    with serve(root) as url, sync_playwright() as pw:
        # The server imports the pages' modules before it answers (dashboard/server.py):
        # that time is here, not in the first page's.
        print(f"server start (until its health check answers): {time.perf_counter() - start:.2f} s")
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for name in PAGES:
            times = []
            for _ in range(2):
                start = time.perf_counter()
                page.goto(f"{url}/?page={name}")
                wait_rendered(page, name)
                times.append(time.perf_counter() - start)
            out[name] = (times[0], times[1])
        browser.close()
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=None, help="reuse or create here")
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--seeds", type=int, default=6)
    args = parser.parse_args(argv)
    root = args.store or Path(tempfile.mkdtemp(prefix="t2iqa-dash-")) / "store"
    start = time.perf_counter()
    images = ensure_store(root, args.runs, args.seeds)
    print(f"store {root}: {images} images ({time.perf_counter() - start:.1f} s to prepare)")
    # The browser goes first, on a freshly started server: its "cold" is a user's first visit.
    browser = browser_times(root) if CHROMIUM.is_file() else {}
    script = apptest_times(root)
    header = f"{'page':<12} {'script cold':>12} {'script warm':>12}"
    print(header + (f" {'browser cold':>13} {'browser warm':>13}" if browser else ""))
    for name in PAGES:
        line = f"{name:<12} {script[name][0]:>11.2f}s {script[name][1]:>11.2f}s"
        if browser:
            line += f" {browser[name][0]:>12.2f}s {browser[name][1]:>12.2f}s"
        print(line)


if __name__ == "__main__":
    main()
