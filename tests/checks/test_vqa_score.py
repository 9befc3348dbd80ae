"""VQAScore and the atom questions on the embedded vision-language model (a tiny LLaVA with
seeded random weights): the real processor and logits path, left padding, templates, DSG's
dependencies, and "unavailable" with the fetch command when the weights are missing."""

from __future__ import annotations

import pytest
from PIL import Image

from t2iqa.checks import OPT_IN, build_checks
from t2iqa.checks.base import ImageUnderTest
from t2iqa.checks.vlm import _prompt, load_vlm, yes_probability
from t2iqa.checks.vqa_score import atom_questions
from t2iqa.core.errors import T2IQAError
from t2iqa.core.expectations import Expectations, Relation
from t2iqa.core.prompts import PromptSpec

COMPOSED = PromptSpec("c", "two green umbrellas left of a bicycle", expect=Expectations(
    counts={"umbrella": 2}, objects=("umbrella", "bicycle"), colors={"umbrella": "green"},
    relations=(Relation("umbrella", "left of", "bicycle"),)))  # fmt: skip


def item(spec: PromptSpec, shade: int = 90) -> ImageUnderTest:
    return ImageUnderTest(Image.new("RGB", (64, 48), (shade, 40, 200)), f"h{shade}", spec)


def test_a_batch_answers_as_each_alone_whatever_its_length() -> None:
    vlm = load_vlm("embedded", "cpu")
    images = [Image.new("RGB", (40, 40), (k * 60, 30, 90)) for k in range(3)]
    questions = ["Is it red?", "Does this figure show a long prompt about many things at once?",
                 "Yes?"]  # fmt: skip
    together = yes_probability(vlm, images, questions)
    alone = [yes_probability(vlm, [im], [q])[0] for im, q in zip(images, questions, strict=True)]
    assert together == pytest.approx(alone, rel=1e-4)  # left padding: the last token is real
    assert all(0.0 < p < 1.0 for p in together)


def test_the_question_goes_through_a_chat_template_when_there_is_one(monkeypatch) -> None:
    _, processor, _ = load_vlm("embedded", "cpu")
    assert _prompt(processor, "Is it?") == "USER: <image>\nIs it? ASSISTANT:"
    template = (
        "{% for m in messages %}<|{{ m.role }}|>{% for c in m.content %}"
        "{% if c.type == 'image' %}<image>{% else %}{{ c.text }}{% endif %}"
        "{% endfor %}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
    )
    monkeypatch.setattr(processor, "chat_template", template)
    assert _prompt(processor, "Is it?") == "<|user|><image>Is it?<|assistant|>"


def test_vqa_score_scores_and_judges_with_a_threshold() -> None:
    items = [item(PromptSpec(f"p{k}", f"a photo number {k}"), 20 * k) for k in range(3)]
    [check] = build_checks(["vqa_score"], {"vqa_score": {"model": "embedded"}})
    results = check.check_batch(items)
    assert [r.verdict for r in results] == ["scored"] * 3
    assert all(0.0 < r.score < 1.0 for r in results)
    [judged] = build_checks(["vqa_score"], {"vqa_score": {"model": "embedded", "min_score": 0.9}})
    assert judged.check(items[0]).verdict == "misaligned"
    with pytest.raises(T2IQAError, match="once"):
        build_checks(["vqa_score"], {"vqa_score": {"question": "Is it good?"}})


def test_atom_questions_follow_the_expectations() -> None:
    assert atom_questions(COMPOSED) == [
        ("Is there an umbrella in the image?", None),
        ("Is there a bicycle in the image?", None),
        ("Are there exactly two umbrellas in the image?", "umbrella"),
        ("Are the umbrellas green?", "umbrella"),
        ("Is the umbrella to the left of the bicycle?", "umbrella"),
    ]
    assert atom_questions(PromptSpec("t", "x", expect=Expectations(text="OPEN")))[0][0] == (
        'Does the image show the text "OPEN"?'
    )


def test_dependent_atoms_of_an_absent_object_are_not_asked() -> None:
    opts = {"model": "embedded"}
    [strict] = build_checks(["vqa_atoms"], {"vqa_atoms": {**opts, "yes_above": 1.0}})
    result = strict.check(item(COMPOSED))  # every answer counts as "no"
    asked = {a["question"]: a["p_yes"] for a in result.details["atoms"]}
    assert result.verdict == "missing_atoms" and result.score == 0.0
    assert asked["Are the umbrellas green?"] is None  # the umbrella is "absent": not asked
    assert asked["Is there an umbrella in the image?"] is not None
    [lenient] = build_checks(["vqa_atoms"], {"vqa_atoms": {**opts, "yes_above": 0.0}})
    passed = lenient.check(item(COMPOSED))
    assert (passed.verdict, passed.score) == ("ok", 1.0)
    assert not lenient.applies(PromptSpec("n", "a nice picture"))


def test_missing_weights_say_how_to_fetch_them() -> None:
    [check] = build_checks(["vqa_score"])
    result = check.check(item(PromptSpec("p", "a cat")))
    assert result.verdict == "unavailable" and result.score is None
    assert "t2iqa weights prefetch DIR --only vqa_score" in result.reason
    assert {"vqa_score", "vqa_atoms"} <= set(OPT_IN)
