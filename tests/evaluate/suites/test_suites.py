from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from t2iqa.core.errors import SuiteError
from t2iqa.core.expectations import Expectations
from t2iqa.suites.files import dump_suite_yaml, import_prompt_list, load_suite, load_yaml_suite

GOOD = """
name: mine
version: 2
description: two prompts
prompts:
  - id: a
    prompt: three red apples
    category: counting
    expect: {counts: {apple: 3}}
  - id: b
    prompt: a sign that says "OPEN"
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    return info.value.problems


def test_yaml_suite_loads_with_stated_and_parsed_expectations(tmp_path: Path) -> None:
    suite = load_suite(write(tmp_path, "s.yaml", GOOD))
    assert (suite.name, suite.version, len(suite.prompts)) == ("mine", "2", 2)
    a, b = suite.prompts
    assert a.expect == Expectations(counts={"apple": 3}) and a.expect_source == "suite"
    assert b.expect == Expectations(text="OPEN") and b.expect_source == "prompt"
    assert b.category == "general"


def test_yaml_round_trip_keeps_content_hash(tmp_path: Path) -> None:
    suite = load_suite(write(tmp_path, "s.yaml", GOOD))
    again = load_yaml_suite(write(tmp_path, "t.yaml", dump_suite_yaml(suite)))
    assert again.to_dict() == suite.to_dict()
    assert again.content_hash() == suite.content_hash()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("name: x\nversion: 1\nprompts: [", "invalid YAML at line"),
        ("- just a list", "expected a mapping"),
        ("name: x\nversion: 1\nprompts: {}", "'prompts' must be a list"),
        ("name: x\nversion: 1\nprompts: []", "the suite has no prompts"),
        ("name: 'bad name!'\nversion: 1\nprompts: [{id: a, prompt: p}]", "'name' must be"),
        ("name: x\nprompts: [{id: a, prompt: p}]", "'version' must be given"),
        ("name: x\nversion: 1\nextra: 1\nprompts: [{id: a, prompt: p}]", "unknown top-level"),
        ("name: x\nversion: 1\nprompts: [{prompt: p}]", "missing 'id'"),
        ("name: x\nversion: 1\nprompts: [{id: 'a b', prompt: p}]", "id must be"),
        ("name: x\nversion: 1\nprompts: [{id: a, prompt: '  '}]", "'prompt' must be a non-empty"),
        ("name: x\nversion: 1\nprompts: [{id: a}]", "'prompt' must be a non-empty"),
        ("name: x\nversion: 1\nprompts: [{id: a, prompt: p, colour: red}]", "unknown field"),
        ("name: x\nversion: 1\nprompts: [{id: a, prompt: p, category: ''}]", "'category'"),
        ("name: x\nversion: 1\nprompts: [{id: a, prompt: p, negative_prompt: 3}]", "negative_prompt"),
        ("name: x\nversion: 1\nprompts: [a, b]", "each prompt must be a mapping"),
        ("name: x\nversion: 1\nprompts: [{id: a, prompt: p}, {id: a, prompt: q}]", "duplicate id 'a'"),
        ("name: x\nversion: 1\nprompts: [{id: a, prompt: p, expect: 3}]", "'expect' must be a mapping"),
        ("name: x\nversion: 1\nprompts: [{id: a, prompt: p, expect: {colour: 1}}]", "unknown expectation"),
        ("name: x\nversion: 1\nprompts: [{id: a, prompt: p, expect: {text: ''}}]", "expect.text"),
        ("name: x\nversion: 1\nprompts: [{id: a, prompt: p, expect: {counts: [1]}}]", "expect.counts must map"),
        ("name: x\nversion: 1\nprompts: [{id: a, prompt: p, expect: {counts: {cat: -1}}}]", "expect.counts.cat"),
        ("name: x\nversion: 1\nprompts: [{id: a, prompt: p, expect: {counts: {cat: 2.5}}}]", "expect.counts.cat"),
        ("name: x\nversion: 1\nprompts: [{id: a, prompt: p, expect: {counts: {cat: true}}}]", "expect.counts.cat"),
        ("name: x\nversion: 1\nprompts: [{id: a, prompt: p, expect: {hands: 'two'}}]", "expect.hands"),
        ("name: x\nversion: 1\nprompts: [{id: a, prompt: p, expect: {hands: 99}}]", "expect.hands"),
        ("name: x\nversion: 1\nscoring: {composition: 5}\nprompts: [{id: a, prompt: p}]", "'scoring' must map"),
    ],
)  # fmt: skip
def test_every_validation_error_names_the_problem(tmp_path: Path, text: str, fragment: str) -> None:
    problems = problems_of(write(tmp_path, "s.yaml", text))
    assert any(fragment in p for p in problems), problems


def test_errors_name_the_prompt_and_all_problems_are_listed(tmp_path: Path) -> None:
    text = "name: x\nversion: 1\nprompts:\n  - {id: ok, prompt: p}\n  - {id: bad1, prompt: ''}\n  - {id: bad2, prompt: p, expect: {hands: -1}}\n"
    problems = problems_of(write(tmp_path, "s.yaml", text))
    assert len(problems) == 2
    assert "prompts[1] (id 'bad1')" in problems[0]
    assert "prompts[2] (id 'bad2')" in problems[1]
    with pytest.raises(SuiteError, match=r"s\.yaml: 2 problems"):
        load_suite(tmp_path / "s.yaml")


def test_missing_unknown_and_unreadable_sources(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="bundled suites: core, geneval, representation, smoke"):
        load_suite("no-such-suite")
    with pytest.raises(SuiteError, match="is a folder"):
        load_suite(tmp_path)
    with pytest.raises(SuiteError, match=r"unknown file type '\.xml'"):
        load_suite(write(tmp_path, "s.xml", "<x/>"))
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: caf\xe9".encode("latin-1"))
    with pytest.raises(SuiteError, match="not UTF-8"):
        load_suite(bad)


def test_jsonl_suite_with_header_and_errors(tmp_path: Path) -> None:
    lines = [
        {"name": "j", "version": "3"},
        {"id": "p1", "prompt": "two cats", "expect": {"counts": {"cat": 2}}},
        {"id": "p2", "prompt": "a dog"},
    ]
    path = write(tmp_path, "s.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")
    suite = load_suite(path)
    assert (suite.name, suite.version, [p.id for p in suite.prompts]) == ("j", "3", ["p1", "p2"])
    broken = write(tmp_path, "b.jsonl", '{"id": "a", "prompt": "x"}\n{not json}\n')
    assert problems_of(broken) == [
        "line 2: invalid JSON (Expecting property name enclosed in double quotes at column 2)"
    ]
    no_header = load_suite(write(tmp_path, "plain.jsonl", '{"id": "a", "prompt": "x"}\n'))
    assert no_header.name == "plain"


def test_import_txt(tmp_path: Path) -> None:
    path = write(
        tmp_path, "my prompts.txt", '# comment\nthree red apples\n\na sign that says "HI"\n'
    )
    suite = import_prompt_list(path)
    assert suite.name == "my-prompts"
    assert [p.id for p in suite.prompts] == ["my-prompts-0001", "my-prompts-0002"]
    assert suite.prompts[0].expect.counts == {"apple": 3}
    assert suite.prompts[1].expect.text == "HI"


def test_import_partiprompts_tsv_and_drawbench_csv(tmp_path: Path) -> None:
    parti = write(
        tmp_path,
        "parti.tsv",
        "Prompt\tCategory\tChallenge\nbond\tAbstract\tBasic\na red car\tVehicles\tColor\n",
    )
    suite = load_suite(parti)
    assert [(p.prompt, p.category) for p in suite.prompts] == [
        ("bond", "Abstract"),
        ("a red car", "Vehicles"),
    ]
    drawbench = write(
        tmp_path,
        "drawbench.csv",
        'Prompts,Category\n"A storefront with ""Text"" written on it.",Text\n',
    )
    suite = load_suite(drawbench)
    assert suite.prompts[0].expect.text == "Text"
    assert suite.prompts[0].category == "Text"


def test_import_reports_missing_prompt_column_and_empty_rows(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="no prompt column; found columns"):
        load_suite(write(tmp_path, "x.csv", "caption_id,foo\n1,2\n"))
    with pytest.raises(SuiteError, match="row 3 \\(id 'x-0002'\\): 'prompt' must be a non-empty"):
        load_suite(write(tmp_path, "x.csv", 'prompt\nfine\n""\n'))


def test_import_jsonl_prompt_list(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "list.jsonl",
        '{"prompt": "two dogs", "category": "animals"}\n{"caption": "a cat"}\n',
    )
    suite = import_prompt_list(path)
    assert [(p.prompt, p.category) for p in suite.prompts] == [
        ("two dogs", "animals"),
        ("a cat", "general"),
    ]


def test_limited_keeps_file_order() -> None:
    suite = load_suite("core")
    assert [p.id for p in suite.limited(3).prompts] == [p.id for p in suite.prompts[:3]]
    assert suite.limited(None) is suite


def test_geneval_is_a_bundled_suite_with_its_tasks_and_license() -> None:
    import importlib.resources

    suite = load_suite("geneval")
    assert len(suite.prompts) == 553
    by_task = {p.category for p in suite.prompts}
    assert by_task == {"single_object", "two_object", "counting", "colors", "position",
                       "color_attr"}  # fmt: skip
    dog = next(p for p in suite.prompts if p.prompt == "a photo of a dog right of a teddy bear")
    assert dog.expect.to_dict()["relations"] == [
        {"subject": "dog", "relation": "right of", "object": "teddy bear"}
    ]
    root = importlib.resources.files("t2iqa.benchmarks")
    assert "MIT" in (root / "LICENSE.geneval").read_text()
    assert (root / "geneval" / "LICENSE").read_text() == (root / "LICENSE.geneval").read_text()


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        ({"objects": "dog"}, "expect.objects must be a list of nouns"),
        ({"colors": {"car": "teal"}}, "expect.colors.car: 'teal' is not one of red"),
        ({"relations": [{"subject": "dog", "relation": "inside", "object": "box"}]},
         "expect.relations[0] must be {subject: NOUN, relation: left of | right of"),
        ({"shapes": {}}, "unknown expectation(s) ['shapes']"),
    ],
)  # fmt: skip
def test_composition_expectations_are_validated(tmp_path: Path, expect: dict, message: str) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump({"name": "s", "version": "1", "prompts": [
        {"id": "p1", "prompt": "a dog", "expect": expect}]}))  # fmt: skip
    with pytest.raises(SuiteError, match=re.escape(message)):
        load_suite(path)


def test_a_suites_scoring_options_lie_under_the_users(tmp_path: Path) -> None:
    text = GOOD.replace(
        "prompts:", "scoring: {composition: {threshold: 0.4, geneval_tasks: true}}\nprompts:"
    )
    suite = load_suite(write(tmp_path, "s.yaml", text))
    assert suite.check_options({"composition": {"threshold": 0.2}, "ocr_text": {"max_ned": 0}}) == {
        "composition": {"threshold": 0.2, "geneval_tasks": True},
        "ocr_text": {"max_ned": 0},
    }
    again = load_yaml_suite(write(tmp_path, "t.yaml", dump_suite_yaml(suite)))
    assert again.scoring == suite.scoring and again.content_hash() == suite.content_hash()
    assert suite.limited(1).scoring == suite.scoring
    plain = load_suite(write(tmp_path, "u.yaml", GOOD))
    assert "scoring" not in plain.to_dict()  # suites without it keep their old content hash
