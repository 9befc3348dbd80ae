"""Which scorers a run loads together: on one accelerator, scorers whose models do not fit
together are run one group after another over the run's images, and each group's models are
released before the next group loads (issue 19: a run with many scorers never holds two
large models it does not need at once).

Each check declares on its class what its default model takes (``model_mib``, weights at the
dtype it loads) and its cached loaders (``loaders``, cleared to release). The budget is the
CUDA device's free memory when scoring starts, with the generator still loaded, less a tenth
for activations; ``T2IQA_MODEL_MEMORY_MIB`` sets it by hand (any device). On a CPU without
that setting there is no plan: one group, nothing released, as before. What each scorer really
took is measured and kept in the run's provenance (``scorer_memory_mib``), which is what to
set the budget from when a declared size is off (a half-precision checkpoint, a larger model).
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence

from t2iqa.checks.base import Check
from t2iqa.core.errors import T2IQAError

BUDGET_ENV = "T2IQA_MODEL_MEMORY_MIB"
ACTIVATION_SHARE = 0.1  # of the free memory, kept for activations and the CUDA allocator


def budget_setting() -> float | None:
    """``T2IQA_MODEL_MEMORY_MIB`` when set; a T2IQAError naming it when it is not a positive
    number (checked before a run does any work)."""
    if (value := os.environ.get(BUDGET_ENV)) is None:
        return None
    try:
        budget = float(value)
    except ValueError:
        budget = -1.0
    if not budget > 0:  # also NaN
        raise T2IQAError(f"{BUDGET_ENV}={value!r}: give the memory scorers' models may take "
                         "together in MiB, a positive number (e.g. 20000)")  # fmt: skip
    return budget


def budget_mib(checks: Sequence[Check]) -> float | None:
    """MiB the checks' models may take together; None: no limit (no plan)."""
    if (budget := budget_setting()) is not None:
        return budget
    if not any(c.model_mib for c in checks):
        return None  # no large model: torch is not even imported for this
    import torch  # the scorers are about to import it to load their models anyway

    if not torch.cuda.is_available():
        return None
    free, _total = torch.cuda.mem_get_info()
    return free / 2**20 * (1 - ACTIVATION_SHARE)


def plan_passes(checks: Sequence[Check], budget: float | None) -> list[list[Check]]:
    """The checks in groups run one after another: every check without a large model and as
    many large ones as fit in the first, the others packed largest first into as few groups as
    fit (first fit). Checks sharing their loaders (``vqa_score`` and ``vqa_atoms``: one model)
    count once and stay together; a model larger than the budget gets a group of its own.
    Within a group the checks keep the order given."""
    if budget is None:
        return [list(checks)]
    light = [c for c in checks if not c.model_mib]
    shared: dict[tuple[object, ...], list[Check]] = {}
    for check in checks:
        if check.model_mib:
            shared.setdefault(tuple(check.loaders) or (check.name,), []).append(check)
    units = sorted(shared.values(), key=lambda unit: -max(c.model_mib or 0 for c in unit))
    groups: list[list[Check]] = []
    used: list[float] = []
    for unit in units:
        size = max(c.model_mib or 0 for c in unit)
        slot = next((k for k, u in enumerate(used) if u + size <= budget), None)
        if slot is None:
            groups.append([])
            used.append(0.0)
            slot = len(groups) - 1
        groups[slot] += unit
        used[slot] += size
    if not groups:
        return [light]
    groups[0] = light + groups[0]
    order = {id(c): k for k, c in enumerate(checks)}
    return [sorted(group, key=lambda c: order[id(c)]) for group in groups]


def release(checks: Sequence[Check]) -> None:
    """Drop the checks' cached models (the next use loads them again) and give their memory
    back to the device."""
    for check in checks:
        for loader in check.loaders:
            loader.cache_clear()
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()
