from __future__ import annotations

import re
from collections import Counter

from t2iqa.benchmarks.build_suites import BUILDERS, HERE, render
from t2iqa.core.expectations import parse_expectations
from t2iqa.suites.files import load_suite

CATEGORIES = {"counting", "composition", "text", "hands", "people", "alignment"}


def test_committed_suite_files_match_their_builder() -> None:
    for name, builder in BUILDERS.items():
        committed = (HERE / f"{name}.yaml").read_text(encoding="utf-8")
        assert committed == render(builder()), f"run `make suites`: {name}.yaml is stale"


def test_core_covers_what_it_promises() -> None:
    suite = load_suite("core")
    assert len(suite.prompts) >= 200
    assert set(suite.categories) == CATEGORIES
    counting = [p for p in suite.prompts if p.category == "counting"]
    assert {n for p in counting for n in p.expect.counts.values()} == set(range(1, 9))
    assert all(len(p.expect.counts) == 2 for p in suite.prompts if p.category == "composition")
    texts = [p.expect.text for p in suite.prompts if p.category == "text"]
    assert all(t and 1 <= len(t.split()) <= 4 for t in texts)
    assert any(re.search(r"\d", t) for t in texts)
    assert any(re.search(r"[^\w\s]", t) for t in texts)
    assert any(t != t.upper() and t != t.lower() for t in texts)  # mixed case
    assert all(p.expect.hands for p in suite.prompts if p.category == "hands")
    people = [p.expect for p in suite.prompts if p.category == "people"]
    assert {e.people for e in people} >= {1, 2, 3, 4, 5} and any(e.people_at_least for e in people)
    assert all(p.expect.is_empty() for p in suite.prompts if p.category == "alignment")
    assert all(p.expect_source == "suite" for p in suite.prompts)


def test_text_prompts_parse_to_their_stated_text() -> None:
    # The parser and the bundled expectations agree where a prompt quotes its text.
    for p in load_suite("core").prompts:
        if p.category == "text":
            assert parse_expectations(p.prompt).text == p.expect.text


def test_smoke_is_small_and_covers_every_category() -> None:
    smoke = load_suite("smoke")
    assert len(smoke.prompts) <= 12
    assert set(Counter(p.category for p in smoke.prompts)) == CATEGORIES
    core = load_suite("core").by_id()
    assert all(core[p.id] == p for p in smoke.prompts)
