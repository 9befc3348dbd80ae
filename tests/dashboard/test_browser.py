"""The dashboard in a real browser: Debian's Chromium through Playwright, every page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from t2iqa.benchmarks.speed_dashboard import RENDERED, wait_rendered
from t2iqa.dashboard import serve


@pytest.fixture
def server(dashboard_store: Path, tmp_path: Path) -> Iterator[str]:
    with serve(dashboard_store, log=tmp_path / "server.log") as url:
        yield url


def test_every_page_renders_in_chromium(server: str, browser: Browser, artifacts_dir: Path) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    try:
        for name in RENDERED:  # heading, content, every picture decoded (none broken)
            page.goto(f"{server}/?page={name}")
            wait_rendered(page, name)
            page.screenshot(path=str(artifacts_dir / f"dashboard-{name}.png"))
        assert not errors, errors
    finally:
        page.close()
