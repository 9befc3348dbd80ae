"""Alignment judged by a vision-language model.

``vqa_score``: VQAScore (Lin et al., ECCV 2024): P("Yes") to 'Does this figure show
"{prompt}"? Please answer yes or no.'. Its authors find it ranks images by prompt alignment
better than CLIPScore and the preference scores (GenAI-Bench), and it reads prompts longer
than CLIP's 77 tokens. A verdict only with ``min_score``.

``vqa_atoms``: for prompts that state their atoms (objects, counts, colours, positions, text),
one yes/no question per atom, TIFA-style (Hu et al., ICCV 2023), asked with DSG's
dependencies (Cho et al., ICLR 2024): a colour, count or position of an object the model
says is absent counts as "no" without being asked. The score is the share answered "yes"
(P > 0.5); the image passes when every atom is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from t2iqa.checks.base import Check, ImageUnderTest
from t2iqa.checks.options import Fraction, PositiveInt
from t2iqa.checks.scored import ScorerConfig, ScoringCheck, in_batches
from t2iqa.checks.vlm import (
    DEFAULT_VLM,
    EMBEDDED,
    VLM_MIB,
    VLM_WEIGHTS,
    load_vlm,
    yes_probability,
)
from t2iqa.core.errors import T2IQAError, Unavailable
from t2iqa.core.nouns import plural, with_article
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import OK, UNAVAILABLE, CheckResult

QUESTION = 'Does this figure show "{}"? Please answer yes or no.'
NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
PLACES = {"left of": "to the left of", "right of": "to the right of", "above": "above",
          "below": "below", "near": "near"}  # fmt: skip


class VqaScoreCheck(ScoringCheck):
    name = "vqa_score"
    version = "1"
    description = "VQAScore: P(yes) that the image shows the prompt, from a vision-language model"
    label, detail, digits, low_verdict = "VQAScore", "vqa_score", 3, "misaligned"
    packages = ("transformers",)
    model_mib = VLM_MIB
    loaders = (load_vlm,)  # shared with the other VLM check: one model, planned together
    weights = (VLM_WEIGHTS,)
    embedded_options = MappingProxyType({"model": EMBEDDED})
    score_unit = "P(yes)"
    gate_tolerance = 0.02

    @dataclass(frozen=True)
    class Config(ScorerConfig):
        model: str = DEFAULT_VLM  # any transformers image-text-to-text model, or "embedded"
        question: str = QUESTION  # "{}" is replaced by the prompt
        answer: str = "Yes"
        batch_size: PositiveInt = 8  # a VLM's activations are larger
        min_score: Fraction | None = None  # P(yes) is a probability

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        if self.config.question.count("{}") != 1:
            raise T2IQAError('vqa_score question must hold "{}" once, where the prompt goes')

    def scores(self, items: Sequence[ImageUnderTest]) -> list[float]:
        c = self.config
        vlm = load_vlm(c.model, c.device)

        def score(chunk: Sequence[ImageUnderTest]) -> list[float]:
            questions = [c.question.format(it.spec.prompt) for it in chunk]
            return yes_probability(vlm, [it.image for it in chunk], questions, c.answer)

        return in_batches(score, items, c.batch_size)

    def source(self) -> dict[str, Any]:
        return {"model": self.config.model}


def atom_questions(spec: PromptSpec) -> list[tuple[str, str | None]]:
    """(question, the object it depends on or None) for each atom the prompt states."""
    e = spec.expect
    nouns = list(dict.fromkeys([*e.objects, *e.counts, *e.colors]))
    out: list[tuple[str, str | None]] = [(existence(n), None) for n in nouns]
    for noun, n in e.counts.items():
        number = NUMBERS[n] if n < len(NUMBERS) else str(n)
        asked = (
            f"Is there exactly one {noun}"
            if n == 1
            else f"Are there exactly {number} {plural(noun)}"
        )
        out.append((f"{asked} in the image?", noun))
    for noun, colour in e.colors.items():
        many = e.counts.get(noun, 1) > 1
        out.append((f"Are the {plural(noun)} {colour}?" if many else f"Is the {noun} {colour}?",
                    noun))  # fmt: skip
    out += [(f"Is the {r.subject} {PLACES.get(r.relation, r.relation)} the {r.object}?",
             r.subject) for r in e.relations]  # fmt: skip
    if e.text is not None:
        out.append((f'Does the image show the text "{e.text}"?', None))
    return out


def existence(noun: str) -> str:
    return f"Is there {with_article(noun)} in the image?"


class VqaAtomsCheck(Check):
    name = "vqa_atoms"
    version = "1"
    description = "one yes/no question per atom the prompt states, asked a vision-language model"
    verifies_expectations = True
    uses_accelerator = True
    packages = ("transformers",)
    model_mib = VLM_MIB
    loaders = (load_vlm,)  # shared with the other VLM check: one model, planned together
    weights = (VLM_WEIGHTS,)
    embedded_options = MappingProxyType({"model": EMBEDDED})
    not_applicable_reason = "the prompt states no objects, counts, colours, positions or text"

    @dataclass(frozen=True)
    class Config:
        model: str = DEFAULT_VLM
        device: str = "auto"
        yes_above: Fraction = 0.5  # P(yes) above which an atom counts as answered yes

    def applies(self, spec: PromptSpec) -> bool:
        return bool(atom_questions(spec))

    def check(self, item: ImageUnderTest) -> CheckResult:
        try:
            vlm = load_vlm(self.config.model, self.config.device)
        except Unavailable as exc:
            return self.result(UNAVAILABLE, None, None, str(exc))
        asked: dict[str, float] = {}
        answers = []
        for question, parent in atom_questions(item.spec):
            absent = parent is not None and asked[existence(parent)] <= self.config.yes_above
            if absent:  # DSG: no colour, count or place of an object the model does not see
                answers.append({"question": question, "p_yes": None, "yes": False})
                continue
            p = yes_probability(vlm, [item.image], [question])[0]
            asked[question] = p
            answers.append({"question": question, "p_yes": round(p, 4),
                            "yes": p > self.config.yes_above})  # fmt: skip
        return self.judge(answers)

    def judge(self, answers: list[dict[str, Any]]) -> CheckResult:
        score = sum(a["yes"] for a in answers) / len(answers)
        noes = [a["question"] for a in answers if not a["yes"]]
        details = {"atoms": answers, "model": self.config.model}
        if not noes:
            return self.result(OK, True, score, f"all {len(answers)} atoms answered yes",
                               **details)  # fmt: skip
        return self.result("missing_atoms", False, score, f"{len(noes)} of {len(answers)} "
                           f"atoms answered no: {'; '.join(noes[:3])}", **details)  # fmt: skip
