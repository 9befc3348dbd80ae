"""What made each run: settings, versions and weights side by side, and which differences
make two runs' results incomparable, which are under test, and which are only noted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from t2iqa.checks import SET_METRICS, scorer_packages
from t2iqa.comparison.runs import RunData

# Generation packages: differences are what is under test, or at least allowed to be.
GENERATION_PACKAGES = ("diffusers", "accelerate", "safetensors")

MEASURED = "measured"  # what the run measured about itself (scorer memory)


@dataclass(frozen=True)
class ProvenanceDifference:
    key: str
    baseline: Any
    candidate: Any
    kind: str  # "under test", "scorer", "scorer setting", "suite", "environment", "measured"
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
    for name, mib in (prov.get("scorer_memory_mib") or {}).items():
        items[f"memory.{name}"] = (f"{mib:g} MiB", MEASURED, ())
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
        if kind != MEASURED:  # what a run measured about itself is no setting to match
            out.append(ProvenanceDifference(key, bv, cv, kind, affects))
    return out
