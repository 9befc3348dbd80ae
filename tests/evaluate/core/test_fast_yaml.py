"""The event-stream YAML builder gives exactly what PyYAML's safe loader gives, or hands the
document back to it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from t2iqa.core.fast_yaml import NotPlain, load_plain
from t2iqa.suites.files import bundled_suites, read_yaml

SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
PLAIN = [
    "",
    "a: 1",
    "- 1\n- 2.5\n- true\n- null\n- ~\n- yes\n- 0x1f\n- 1_000\n- '1'\n- \"x\"\n- 2001-12-14\n"
    "- .inf\n- 1e3\n- -.5\n- 0o17\n- 1:30\n- 2001-12-14t21:59:43.10-05:00\n- ''\n- Off",
    'name: x\nversion: 1\nprompts:\n  - id: a\n    prompt: "hi"\n    expect: {counts: {cat: 2}}\n',
    "a: &x [1, 2]\nb: *x\nc: &s hello\nd: *s\ne: &m {k: v}\nf: *m\n",
    "k: |\n  block\n  text\nf: >\n  folded\n  lines\n",
    "1: one\ntrue: t\nnull: n\n3.5: f\n",
    "a: 1\na: 2\n",
    "--- {a: [1, {b: [2, 3]}]}\n...\n",
    'text: "tab\\there \\u00e9"\nempty:\nlist: []\nmap: {}\n',
]
NOT_PLAIN = [
    "? [1, 2]\n: x\n",
    "base: &b {a: 1}\nother:\n  <<: *b\n  c: 2\n",
    "!!python/object/apply:os.system ['touch x']\n",
    "a: !!str 1\n",
    "a: !custom x\n",
    "--- a\n--- b\n",
    "a: =\n",
]


@pytest.mark.parametrize("text", PLAIN)
def test_plain_documents_load_as_pyyaml_loads_them(text: str) -> None:
    assert load_plain(text) == yaml.load(text, Loader=SAFE)


def test_the_bundled_suites_load_the_same() -> None:
    for resource in bundled_suites().values():
        text = resource.read_text(encoding="utf-8")
        assert load_plain(text) == yaml.load(text, Loader=SAFE)


def test_aliases_share_one_object_as_in_pyyaml() -> None:
    data = load_plain("a: &x [1]\nb: *x\n")
    assert data["a"] is data["b"]


@pytest.mark.parametrize("text", NOT_PLAIN)
def test_everything_else_goes_to_the_standard_loader(text: str, tmp_path: Path) -> None:
    with pytest.raises(NotPlain):
        load_plain(text)
    path = tmp_path / "x.yaml"
    path.write_text(text)
    try:
        expected = yaml.load(text, Loader=SAFE)
    except yaml.YAMLError:
        with pytest.raises(Exception, match="invalid YAML"):
            read_yaml(path)
    else:
        assert read_yaml(path) == expected


def test_syntax_errors_carry_their_position(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: ok\nprompts: [unclosed\n")
    with pytest.raises(Exception, match="invalid YAML at line 3"):
        read_yaml(path)
