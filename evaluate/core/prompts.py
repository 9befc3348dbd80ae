"""One prompt with what its image must show: the unit every stage passes along."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from t2iqa.core.expectations import Expectations


@dataclass(frozen=True, slots=True)
class PromptSpec:
    id: str
    prompt: str
    category: str = "general"
    negative_prompt: str | None = None
    expect: Expectations = field(default_factory=Expectations)
    # "suite" when the file stated the expectations, "prompt" when parsed from the prompt.
    expect_source: str = "suite"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "prompt": self.prompt, "category": self.category}
        if self.negative_prompt is not None:
            out["negative_prompt"] = self.negative_prompt
        out["expect"] = self.expect.to_dict()
        return out
