"""The Arena page in Chromium: twenty votes by keyboard, names hidden until each vote, sides
balanced, a double click stored once, and a refresh in the middle losing nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from t2iqa.benchmarks.speed_dashboard import wait_rendered
from t2iqa.dashboard import serve
from t2iqa.store.db import Store
from t2iqa.store.votes import read_votes

RUNS = ("model-a", "model-b")
KEYS = ("ArrowLeft", "ArrowRight", "ArrowDown", "ArrowUp")
PAIR = [('[data-testid="stImage"] img', 2)]


@pytest.fixture
def server(dashboard_store: Path, tmp_path: Path) -> Iterator[str]:
    with serve(dashboard_store, log=tmp_path / "server.log") as url:
        yield url


def stored(store: Path) -> int:
    with Store(store, read_only=True) as st:
        return len(read_votes(st))


def wait_votes(page: Page, n: int) -> None:
    """Until the page shows the n-th vote: it has redrawn with the next pair."""
    text = f"Votes between these runs so far: {n}"
    page.get_by_text(text, exact=True).wait_for(timeout=30_000)


def names_in_pair_area(page: Page) -> bool:
    """Whether a run's name shows anywhere but the run picker and the last vote's note."""
    text = page.evaluate("""() => [...document.querySelectorAll(
        '[data-testid="stMarkdown"], [data-testid="stImage"], [data-testid="stCaptionContainer"]')]
        .map(e => e.innerText).filter(t => !t.startsWith('Last vote')).join(' ')""")
    return any(run in text for run in RUNS)


def test_twenty_keyboard_votes_land_in_the_store(
    server: str, browser: Browser, dashboard_store: Path, artifacts_dir: Path
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{server}/?page=arena")
        wait_rendered(page, "arena", PAIR)
        page.screenshot(path=str(artifacts_dir / "dashboard-arena.png"))
        for k in range(20):
            assert not names_in_pair_area(page), f"a run's name shows before vote {k + 1}"
            page.wait_for_timeout(400)  # a person looks before voting
            page.locator("body").press(KEYS[k % 4])
            wait_votes(page, k + 1)
            if k == 9:  # a refresh half-way: nothing lost, nothing doubled
                page.reload()
                wait_rendered(page, "arena", PAIR)
        assert stored(dashboard_store) == 20
        page.wait_for_timeout(400)
        page.get_by_role("button", name="Left is better").dblclick()
        wait_votes(page, 21)
        page.wait_for_timeout(1500)  # a second vote from the double click would be in by now
        assert stored(dashboard_store) == 21
    finally:
        page.close()
    with Store(dashboard_store, read_only=True) as st:
        votes = read_votes(st)
    pairs = [v for v in votes if v.kind == "pair"]
    assert {v.winner for v in votes} >= {"left", "right"}
    assert all({v.run_left, v.run_right} <= set(RUNS) for v in votes)
    left = Counter(v.run_left for v in pairs)
    assert min(left[r] for r in RUNS) >= 3, left  # sides drawn at random, both used
    assert len({v.vote_id for v in votes}) == len(votes)
