"""Comparing runs: a baseline against a candidate (the CI gate), or several (a leaderboard).

Data flows from the result store only; nothing is re-scored here. Images of two runs on the
same suite are paired by (prompt id, seed), and every interval comes from resampling
prompts (``t2iqa.comparison.stats``). Runs on different suites share no images: they are compared
unpaired, and the comparison says so.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from t2iqa.checks import SET_METRICS, higher_is_better, scorer_packages
from t2iqa.comparison.gate import Gate
from t2iqa.comparison.stats import (
    Estimate,
    difference_unpaired,
    estimate,
    holm,
    normal_difference,
    normal_tail_pvalue,
    permutation_pvalue,
    sign_flip_pvalue,
    tail_pvalue,
)
from t2iqa.core.errors import T2IQAError
from t2iqa.core.results import ERROR, SetResult
from t2iqa.store.db import DB_NAME, RunRecord, Store

ALL = "all"
IMPROVED, UNCHANGED, REGRESSED = "improved", "unchanged", "regressed"
NO_DATA, INCOMPARABLE = "no data", "incomparable"

# Generation packages: differences are what is under test, or at least allowed to be.
GENERATION_PACKAGES = ("diffusers", "accelerate", "safetensors")


# ---------------------------------------------------------------------------- loading


@dataclass
class RunData:
    """Everything a comparison reads about one run, loaded once from its store."""

    label: str
    store_root: Path
    run: RunRecord
    rows: list[dict[str, Any]]
    checks: dict[str, dict[str, Any]]
    set_results: dict[str, SetResult]

    def image_path(self, row: dict[str, Any]) -> Path:
        return self.store_root / row["file"]


def parse_run_reference(spec: str, default_store: Path) -> tuple[Path, str | None]:
    """``RUN_ID`` (in the default store), ``STORE_DIR`` (its only run) or ``STORE_DIR:RUN_ID``."""
    if (Path(spec) / DB_NAME).is_file():
        return Path(spec), None
    store_part, sep, run_part = spec.rpartition(":")
    if sep and store_part and (Path(store_part) / DB_NAME).is_file():
        return Path(store_part), run_part
    return default_store, spec


def load_run(spec: str, default_store: Path) -> RunData:
    store_root, run_id = parse_run_reference(spec, default_store)
    with Store(store_root, read_only=True) as store:
        if run_id is None:
            runs = store.list_runs()
            if len(runs) != 1:
                names = ", ".join(r.run_id for r in runs) or "none"
                raise T2IQAError(
                    f"{store_root} holds {len(runs)} runs ({names}); name one as "
                    f"{store_root}:RUN_ID"
                )
            run_id = runs[0].run_id
        data = run_data(store, run_id)
        if not data.rows:
            raise T2IQAError(
                f"run {run_id!r} in {store_root} has no scored images yet; "
                f"finish it with `t2iqa run ... --run-id {run_id} --store {store_root}`"
            )
        return data


def run_data(
    store: Store, run_id: str, parse_details: bool = True, with_rows: bool = True
) -> RunData:
    """One run as comparisons read it. ``with_rows=False`` skips its result rows, most of the
    cost of a large run, for what needs only its record, checks and set metrics (provenance)."""
    run = store.get_run(run_id)
    sets = {r.metric: r for r in store.set_results(run_id)}
    rows = list(store.results_rows(run_id, parse_details)) if with_rows else []
    return RunData(run_id, store.root, run, rows, store.run_checks(run_id), sets)


RUN_STATES = {
    "running": "is still running",
    "interrupted": "was interrupted",
    "incomplete": "finished incomplete (some images could not be made or scored)",
}


def completeness_warnings(runs: Sequence[RunData]) -> list[str]:
    """A sentence for each run that is not complete: its numbers cover only what it made."""
    out = []
    for run in runs:
        images = len({(r["prompt_id"], r["seed"]) for r in run.rows})
        state = RUN_STATES.get(run.run.status)
        if state is None and images >= run.run.planned_images:
            continue
        out.append(
            f"{run.label} {state or 'is missing images'}: {images} of its "
            f"{run.run.planned_images} planned images; its numbers cover only those (the same "
            "`t2iqa run` command resumes it)"
        )
    return out


def load_runs(specs: Sequence[str], default_store: Path) -> list[RunData]:
    runs = [load_run(s, default_store) for s in specs]
    labels = [r.label for r in runs]
    for r in runs:  # the same run id in two stores: say which store
        if labels.count(r.label) > 1:
            r.label = f"{r.store_root.name}:{r.label}"
    if len({r.label for r in runs}) < len(runs):
        raise T2IQAError(f"the same run is named twice: {', '.join(specs)}")
    return runs


# ---------------------------------------------------------------------------- values


def image_value(row: dict[str, Any], measure: str) -> float | None:
    """The number one image contributes to a measure, or None when it has none."""
    if row["verdict"] is None or row["verdict"] == ERROR:
        return None
    if measure == "pass_rate":
        return None if row["passed"] is None else float(row["passed"])
    return None if row["score"] is None else float(row["score"])


def values_by_image(
    rows: Iterable[dict[str, Any]], check: str, measure: str, category: str
) -> dict[tuple[str, int], float]:
    out = {}
    for row in rows:
        if row["check"] != check or (category != ALL and row["category"] != category):
            continue
        if (value := image_value(row, measure)) is not None:
            out[(row["prompt_id"], row["seed"])] = value
    return out


def by_prompt(values: dict[tuple[str, int], float]) -> list[list[float]]:
    groups: dict[str, list[float]] = defaultdict(list)
    for (prompt_id, _seed), value in sorted(values.items()):
        groups[prompt_id].append(value)
    return list(groups.values())


def categories_of(runs: Sequence[RunData], check: str) -> list[str]:
    found = {r["category"] for run in runs for r in run.rows if r["check"] == check}
    return [ALL, *sorted(found)]


def checks_of(runs: Sequence[RunData]) -> list[str]:
    """Checks scored in every run, in the order of the first run."""
    names = [c for c in runs[0].checks if all(c in r.checks for r in runs[1:])]
    return names


# ---------------------------------------------------------------------------- provenance


@dataclass(frozen=True)
class ProvenanceDifference:
    key: str
    baseline: Any
    candidate: Any
    kind: str  # "under test", "scorer", "scorer setting", "suite" or "environment"
    affects: tuple[str, ...] = ()  # checks or set metrics whose numbers it makes incomparable


def provenance_items(run: RunData) -> dict[str, tuple[Any, str, tuple[str, ...]]]:
    """Flat provenance: key -> (value, kind, affected checks)."""
    identity = run.run.config.get("identity", {})
    prov = run.run.provenance
    source = prov.get("source", {})
    items: dict[str, tuple[Any, str, tuple[str, ...]]] = {
        "model": (run.run.model, "under test", ()),
        "model.weights": (source.get("fingerprint") or source.get("revision"), "under test", ()),
        "model.pipeline": (source.get("pipeline_class"), "under test", ()),
        "model.scheduler": (source.get("scheduler_class"), "under test", ()),
        "suite": (f"{run.run.suite_name} {run.run.suite_version}", "suite", ()),
        "suite.hash": (run.run.suite_hash[:12], "suite", ()),
        "seeds": (identity.get("seeds"), "suite", ()),
    }
    for key, value in (identity.get("image_settings") or {}).items():
        items[f"generation.{key}"] = (value, "under test", ())
    scorers = scorer_packages()  # what each check and metric declares on its class
    for name, version in (prov.get("packages") or {}).items():
        if name in scorers:
            items[f"packages.{name}"] = (version, "scorer", scorers[name])
        elif name in GENERATION_PACKAGES:
            items[f"packages.{name}"] = (version, "under test", ())
        else:
            items[f"packages.{name}"] = (version, "environment", ())
    git = prov.get("git") or {}
    items["t2iqa.commit"] = ((git.get("commit") or "")[:12] or None, "environment", ())
    for key, value in (prov.get("hardware") or {}).items():
        items[f"hardware.{key}"] = (value, "environment", ())
    for name, info in run.checks.items():
        summary = f"v{info['version']} config {info['config_hash']}"
        items[f"checks.{name}"] = (summary, "scorer", (name,))
        # The settings behind that hash, for people reading the table (the hash decides).
        for option, value in sorted((info.get("config") or {}).items()):
            items[f"checks.{name}.{option}"] = (value, "scorer setting", ())
    for name, result in run.set_results.items():
        metric = SET_METRICS.get(name)
        keys = metric.comparable_details if metric is not None else tuple(result.details)
        for key in keys:
            if key in result.details:
                items[f"set_metrics.{name}.{key}"] = (result.details[key], "scorer", (name,))
    return items


def provenance_table(runs: Sequence[RunData]) -> list[tuple[str, list[Any], str]]:
    """Every provenance key with each run's value, for the side-by-side view."""
    per_run = [provenance_items(r) for r in runs]
    keys = list(dict.fromkeys(k for items in per_run for k in items))
    table = []
    for key in keys:
        kind = next(items[key][1] for items in per_run if key in items)
        table.append((key, [items.get(key, (None,))[0] for items in per_run], kind))
    return table


def allowed(key: str, allow: Sequence[str]) -> bool:
    return any(key == a or key.startswith(a + ".") for a in allow)


def provenance_differences(
    base: RunData, cand: RunData, allow: Sequence[str] = ()
) -> list[ProvenanceDifference]:
    b, c = provenance_items(base), provenance_items(cand)
    out = []
    for key in dict.fromkeys([*b, *c]):
        if (key not in b or key not in c) and key.startswith(("checks.", "set_metrics.")):
            continue  # scored in one run only: reported as missing, not as scored differently
        bv, cv = b.get(key, (None, "", ()))[0], c.get(key, (None, "", ()))[0]
        if bv == cv or allowed(key, allow):
            continue
        _, kind, affects = b.get(key) or c[key]
        out.append(ProvenanceDifference(key, bv, cv, kind, affects))
    return out


# ---------------------------------------------------------------------------- two runs


@dataclass(frozen=True)
class CellComparison:
    check: str
    category: str
    measure: str
    baseline: Estimate | None
    candidate: Estimate | None
    difference: Estimate | None
    tolerance: float
    gated: bool
    verdict: str
    note: str = ""
    p_regressed: float | None = None  # Holm-adjusted over the comparison's gated results
    p_improved: float | None = None

    @property
    def fails_gate(self) -> bool:
        return self.gated and self.verdict == REGRESSED


@dataclass(frozen=True)
class SetMetricComparison:
    metric: str
    baseline: SetResult | None
    candidate: SetResult | None
    difference: tuple[float, float, float] | None  # candidate − baseline, low, high
    tolerance: float
    gated: bool
    verdict: str
    note: str = ""
    p_regressed: float | None = None
    p_improved: float | None = None

    @property
    def fails_gate(self) -> bool:
        return self.gated and self.verdict == REGRESSED


@dataclass(frozen=True)
class ImageChange:
    """One paired image whose verdict changed between the runs."""

    check: str
    prompt_id: str
    seed: int
    category: str
    prompt: str
    baseline: dict[str, Any]
    candidate: dict[str, Any]

    @property
    def newly_failing(self) -> bool:
        return self.baseline["passed"] is True and self.candidate["passed"] is False


@dataclass
class Comparison:
    baseline: RunData
    candidate: RunData
    gate: Gate
    paired: bool
    pairing_note: str
    cells: list[CellComparison]
    set_metrics: list[SetMetricComparison]
    differences: list[ProvenanceDifference]
    changes: list[ImageChange]
    warnings: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> list[CellComparison | SetMetricComparison]:
        return [c for c in [*self.cells, *self.set_metrics] if c.fails_gate]

    @property
    def incomparable(self) -> list[CellComparison | SetMetricComparison]:
        return [c for c in [*self.cells, *self.set_metrics] if c.verdict == INCOMPARABLE]

    @property
    def failed(self) -> bool:
        blocking = self.gate.on_incomparable == "fail" and any(c.gated for c in self.incomparable)
        return bool(self.regressions) or blocking


def judge(p_regressed: float, p_improved: float, alpha: float) -> str:
    """Regressed when the (Holm-adjusted) chance of no drop beyond tolerance is below alpha."""
    if p_regressed < alpha:
        return REGRESSED
    if p_improved < alpha:
        return IMPROVED
    return UNCHANGED


def apply_holm(
    results: list[CellComparison | SetMetricComparison], confidence: float
) -> list[CellComparison | SetMetricComparison]:
    """Turn raw one-sided p-values into verdicts, Holm-corrected over the gated results.

    Each result alone regresses when its interval lies below −tolerance; with dozens of
    check × category cells, some would do so by chance on every run. Holm keeps the chance
    of any false alarm in one comparison at (1 − confidence) / 2.
    """
    alpha = (1 - confidence) / 2
    tested = [i for i, r in enumerate(results) if r.p_regressed is not None]
    family = [i for i in tested if results[i].gated]
    adjusted_r = dict(zip(family, holm([results[i].p_regressed for i in family]), strict=True))
    adjusted_i = dict(zip(family, holm([results[i].p_improved for i in family]), strict=True))
    out = list(results)
    for i in tested:
        r = results[i]
        pr = adjusted_r.get(i, r.p_regressed)
        pi = adjusted_i.get(i, r.p_improved)
        assert pr is not None and pi is not None
        note = r.note
        if r.gated and min(r.p_regressed, r.p_improved) < alpha <= min(pr, pi):  # type: ignore[type-var]
            note = (
                f"{note}; " if note else ""
            ) + f"beyond tolerance alone, not after Holm over {len(family)} gated results"
        out[i] = replace(r, p_regressed=pr, p_improved=pi, verdict=judge(pr, pi, alpha), note=note)
    return out


def pair_keys(base: RunData, cand: RunData) -> tuple[bool, str]:
    """Whether the runs' images pair by (prompt id, seed), and a sentence saying how."""
    if base.run.suite_hash != cand.run.suite_hash:
        return False, (
            f"UNPAIRED: the runs use different suites ({base.run.suite_name} "
            f"{base.run.suite_version} vs {cand.run.suite_name} {cand.run.suite_version}); "
            "each run's prompts are resampled on their own and intervals are wider"
        )
    b = {(r["prompt_id"], r["seed"]) for r in base.rows}
    c = {(r["prompt_id"], r["seed"]) for r in cand.rows}
    common = b & c
    if not common:
        return False, (
            "UNPAIRED: same suite but no (prompt, seed) in common (different seeds or limits)"
        )
    note = f"paired by (prompt id, seed): {len(common)} image pairs"
    if len(common) < max(len(b), len(c)):
        note += (
            f"; {len(b - common)} baseline and {len(c - common)} candidate images have no "
            "partner and are left out"
        )
    return True, note


def gated_cell(gate: Gate, check: str, category: str) -> bool:
    """Whether the gate judges this check in this category ("all" always, when gated)."""
    rule = gate.for_check(check)
    return rule.gate and (rule.categories is None or category in rule.categories or category == ALL)


def compare_cell(
    base: RunData, cand: RunData, check: str, category: str, gate: Gate, paired: bool,
    blocked: bool,
) -> CellComparison | None:  # fmt: skip
    rule = gate.for_check(check)
    gated = gated_cell(gate, check, category)
    bv = values_by_image(base.rows, check, rule.measure, category)
    cv = values_by_image(cand.rows, check, rule.measure, category)
    if not bv and not cv:
        return None  # the check judges nothing in this category (does not apply there)
    if paired:
        common = sorted(set(bv) & set(cv))
        bv = {k: bv[k] for k in common}
        cv = {k: cv[k] for k in common}
    args = (rule.measure, None, None, None, rule.tolerance, gated)
    if not bv or not cv:
        what = "no image pairs judged by both runs" if paired else "a run has no judged images"
        return CellComparison(check, category, *args, NO_DATA, what)
    kwargs = {"resamples": gate.resamples, "confidence": gate.confidence, "seed": gate.seed}
    b_est, c_est = estimate(by_prompt(bv), **kwargs), estimate(by_prompt(cv), **kwargs)
    if paired:
        diffs = {k: cv[k] - bv[k] for k in bv}
        diff = estimate(by_prompt(diffs), **kwargs)
    else:
        diff = difference_unpaired(by_prompt(bv), by_prompt(cv), **kwargs)
    note = ""
    if diff.n_prompts < gate.min_prompts:
        note = f"only {diff.n_prompts} prompts: the interval is rough"
    if blocked:
        return CellComparison(
            check, category, rule.measure, b_est, c_est, diff, rule.tolerance, gated,
            INCOMPARABLE, note,
        )  # fmt: skip
    # A drop is a regression where higher is better, a rise where lower is (the check says).
    up = higher_is_better(check, rule.measure)
    p_regressed = tail_pvalue(diff, -rule.tolerance if up else rule.tolerance, below=up)
    p_improved = tail_pvalue(diff, rule.tolerance if up else -rule.tolerance, below=not up)
    return CellComparison(
        check, category, rule.measure, b_est, c_est, diff, rule.tolerance, gated, UNCHANGED,
        note, p_regressed, p_improved,
    )  # fmt: skip


def compare_set_metric(
    metric: str, base: SetResult | None, cand: SetResult | None, gate: Gate, blocked: bool
) -> SetMetricComparison:
    rule = gate.for_set_metric(metric)
    if base is None or cand is None:
        missing = "baseline" if base is None else "candidate"
        return SetMetricComparison(
            metric, base, cand, None, rule.tolerance, rule.gate, NO_DATA,
            f"the {missing} run has no {metric}",
        )  # fmt: skip
    if None in (base.ci_low, base.ci_high, cand.ci_low, cand.ci_high):
        return SetMetricComparison(
            metric, base, cand, None, rule.tolerance, rule.gate, NO_DATA,
            "a run stored no interval for it (too few images to bootstrap)",
        )  # fmt: skip
    diff = normal_difference(
        (base.value, base.ci_low, base.ci_high),
        (cand.value, cand.ci_low, cand.ci_high),
        gate.confidence,
    )  # type: ignore[arg-type]
    if blocked:
        return SetMetricComparison(
            metric, base, cand, diff, rule.tolerance, rule.gate, INCOMPARABLE
        )
    # Each metric declares its direction (distances: lower is better, so a rise beyond the
    # tolerance regresses). The interval is normal (from two independent bootstraps), and
    # so are the p-values.
    down = not higher_is_better(metric)
    tol = rule.tolerance if down else -rule.tolerance
    p_regressed = normal_tail_pvalue(diff, tol, gate.confidence, above=down)
    p_improved = normal_tail_pvalue(diff, -tol, gate.confidence, above=not down)
    return SetMetricComparison(
        metric, base, cand, diff, rule.tolerance, rule.gate, UNCHANGED, "", p_regressed,
        p_improved,
    )  # fmt: skip


def verdict_changes(base: RunData, cand: RunData) -> list[ImageChange]:
    """Paired images whose pass/fail changed; newly failing first (``rank_changes`` puts the
    evidence for a regression before them when the verdicts are known)."""
    b = {(r["prompt_id"], r["seed"], r["check"]): r for r in base.rows}
    out = []
    for row in cand.rows:
        old = b.get((row["prompt_id"], row["seed"], row["check"]))
        if old is None or old["passed"] is None or row["passed"] is None:
            continue
        if old["passed"] != row["passed"]:
            key = (row["check"], row["prompt_id"], row["seed"], row["category"], row["prompt"])
            out.append(ImageChange(*key, old, row))
    out.sort(key=lambda c: (not c.newly_failing, c.check, c.prompt_id, c.seed))
    return out


def regressed_checks(cells: Iterable[CellComparison]) -> set[str]:
    """The checks with a cell that fails the gate."""
    return {c.check for c in cells if c.fails_gate}


def rank_changes(
    changes: Iterable[ImageChange], cells: Iterable[CellComparison]
) -> list[ImageChange]:
    """The order a person reads changes in: the newly failing images of the checks that
    regressed (the evidence for the gate's verdict), then other newly failing images, then
    newly passing ones; by check, prompt and seed within each."""
    regressed = regressed_checks(cells)

    def key(c: ImageChange) -> tuple[int, str, str, int]:
        rank = 0 if c.newly_failing and c.check in regressed else 1 if c.newly_failing else 2
        return rank, c.check, c.prompt_id, c.seed

    return sorted(changes, key=key)


def changes_by_check(changes: Sequence[ImageChange]) -> dict[str, list[ImageChange]]:
    """Changes grouped by check, the groups in the order their first change comes."""
    groups: dict[str, list[ImageChange]] = {}
    for change in changes:
        groups.setdefault(change.check, []).append(change)
    return groups


def resamples_for_family(family_size: int, alpha: float, requested: int) -> int:
    """Enough resamples for Holm over ``family_size`` tests at level ``alpha`` to be able to
    call the clearest one significant (the gate's bootstrap, the leaderboard's sign flips).

    A resampled p-value is never below 1 / (resamples + 1), and Holm multiplies the smallest
    by the family size: with 200 gated cells and 5,000 resamples no result could ever cross
    alpha, and the gate would silently pass everything. Twice the bare minimum leaves room
    for a result whose tail is not quite empty.
    """
    return max(requested, math.ceil(2 * family_size / alpha))


def compare_runs(base: RunData, cand: RunData, gate: Gate) -> Comparison:
    paired, pairing_note = pair_keys(base, cand)
    differences = provenance_differences(base, cand, gate.allow_differences)
    blocked = {name for d in differences if d.kind == "scorer" for name in d.affects}
    warnings = []
    for d in differences:
        if d.kind == "scorer":
            warnings.append(
                f"INCOMPARABLE {', '.join(d.affects)}: {d.key} differs "
                f"({d.baseline} vs {d.candidate}); score both runs the same way "
                "(or list the key under allow_differences in the gate file)"
            )
        elif d.kind == "environment":
            warnings.append(
                f"{d.key} differs ({d.baseline} vs {d.candidate}): numbers may shift for "
                "reasons other than the change under test"
            )
    if not paired:
        warnings.insert(0, pairing_note)
    warnings += completeness_warnings([base, cand])
    cells = []
    checks = checks_of([base, cand])
    only = sorted(set(base.checks) ^ set(cand.checks))
    if only:
        warnings.append(f"checks scored in one run only, not compared: {', '.join(only)}")
    plan = [
        (check, category) for check in checks for category in categories_of([base, cand], check)
    ]
    metrics = sorted(set(base.set_results) | set(cand.set_results))
    family = sum(gated_cell(gate, check, category) for check, category in plan)
    family += sum(gate.for_set_metric(m).gate for m in metrics)
    resamples = resamples_for_family(family, (1 - gate.confidence) / 2, gate.resamples)
    if resamples > gate.resamples:
        warnings.append(
            f"bootstrap resamples raised from {gate.resamples} to {resamples}: Holm over "
            f"{family} gated results needs p-values finer than {gate.resamples} resamples give"
        )
        gate = replace(gate, resamples=resamples)
    for check, category in plan:
        cell = compare_cell(base, cand, check, category, gate, paired, check in blocked)
        if cell is not None:
            cells.append(cell)
    set_cmp = [
        compare_set_metric(m, base.set_results.get(m), cand.set_results.get(m), gate, m in blocked)
        for m in metrics
    ]
    judged = apply_holm([*cells, *set_cmp], gate.confidence)
    cells = [c for c in judged if isinstance(c, CellComparison)]
    set_cmp = [c for c in judged if isinstance(c, SetMetricComparison)]
    changes = rank_changes(verdict_changes(base, cand), cells) if paired else []
    return Comparison(
        base, cand, gate, paired, pairing_note, cells, set_cmp, differences, changes, warnings
    )


# ---------------------------------------------------------------------------- leaderboard


@dataclass(frozen=True)
class LeaderboardCell:
    check: str
    category: str
    measure: str
    estimates: dict[str, Estimate]  # run label -> estimate (runs with data only)
    adjusted_p: dict[tuple[str, str], float]  # Holm-adjusted, pairs in ranking order
    best: tuple[str, ...]  # the top run and every run not significantly below it

    def ranking(self) -> list[str]:
        return sorted(self.estimates, key=lambda k: -self.estimates[k].value)


@dataclass
class Leaderboard:
    runs: list[RunData]
    gate: Gate
    cells: list[LeaderboardCell]
    set_metrics: dict[str, dict[str, SetResult]]  # metric -> run label -> result
    warnings: list[str]
    alpha: float = 0.05


def pairwise_pvalue(
    a: dict[tuple[str, int], float],
    b: dict[tuple[str, int], float],
    paired: bool,
    seed: int,
    resamples: int = 10000,
) -> float:
    if paired:
        common = sorted(set(a) & set(b))
        prompt_diffs = [float(np.mean(g)) for g in by_prompt({k: a[k] - b[k] for k in common})]
        return sign_flip_pvalue(prompt_diffs, resamples, seed)
    means_a = [float(np.mean(g)) for g in by_prompt(a)]
    means_b = [float(np.mean(g)) for g in by_prompt(b)]
    return permutation_pvalue(means_a, means_b, resamples, seed)


def leaderboard(runs: Sequence[RunData], gate: Gate, alpha: float = 0.05) -> Leaderboard:
    """Each run's estimate per check and category, with Holm-corrected pairwise tests.

    The family for the Holm correction is all pairs of runs within one (check, category)
    cell: the question answered is "which runs differ on this task".
    """
    warnings = completeness_warnings(runs)
    suites = {r.run.suite_hash for r in runs}
    if len(suites) > 1:
        warnings.append(
            "UNPAIRED: the runs use different suites; pairwise tests compare prompt means "
            "with a permutation test instead of pairing images"
        )
    cells = []
    kwargs = {"resamples": gate.resamples, "confidence": gate.confidence, "seed": gate.seed}
    for check in checks_of(runs):
        measure = gate.for_check(check).measure
        for category in categories_of(runs, check):
            values = {r.label: values_by_image(r.rows, check, measure, category) for r in runs}
            values = {k: v for k, v in values.items() if v}
            if not values:
                continue
            ests = {k: estimate(by_prompt(v), **kwargs) for k, v in values.items()}
            sign = -1 if higher_is_better(check, measure) else 1  # best first
            order = sorted(ests, key=lambda k: sign * ests[k].value)
            pairs = [(a, b) for i, a in enumerate(order) for b in order[i + 1 :]]
            resamples = resamples_for_family(len(pairs), alpha, gate.resamples)
            raw = [
                pairwise_pvalue(values[a], values[b], len(suites) == 1, gate.seed, resamples)
                for a, b in pairs
            ]
            adjusted = dict(zip(pairs, holm(raw), strict=True)) if pairs else {}
            top = order[0]
            best = tuple(k for k in order if k == top or adjusted[(top, k)] >= alpha)
            cells.append(LeaderboardCell(check, category, measure, ests, adjusted, best))
    set_metrics: dict[str, dict[str, SetResult]] = defaultdict(dict)
    for r in runs:
        for name, result in r.set_results.items():
            set_metrics[name][r.label] = result
    for i, base in enumerate(runs):
        for cand in runs[i + 1 :]:
            for d in provenance_differences(base, cand, gate.allow_differences):
                if d.kind == "scorer":
                    warnings.append(
                        f"INCOMPARABLE {', '.join(d.affects)} between {base.label} and "
                        f"{cand.label}: {d.key} differs ({d.baseline} vs {d.candidate})"
                    )
    return Leaderboard(list(runs), gate, cells, dict(set_metrics), warnings, alpha)
