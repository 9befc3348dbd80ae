"""The wheel installs one name, t2iqa, beside Hugging Face's `evaluate`, and works from there.

A fresh virtual environment gets the built wheel; the heavy dependencies (torch, diffusers,
...) come from the project's environment through a .pth line added after the install, so
the test needs no network and pip's view of the fresh environment holds t2iqa's files only.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_wheel_installs_only_t2iqa_beside_hugging_face_evaluate(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(dist), str(REPO)], tmp_path)  # fmt: skip
    [wheel] = dist.glob("t2iqa-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], tmp_path
    )
    purelib = run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                  tmp_path).strip()  # fmt: skip
    # The dependencies, from this environment (its editable t2iqa stays invisible: .pth
    # lines in a folder added this way are not processed).
    Path(purelib, "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")

    files = run([str(python), "-m", "pip", "show", "-f", "t2iqa"], tmp_path)
    listed = [line.strip() for line in files.split("Files:", 1)[1].splitlines() if line.strip()]
    top = {f.split("/")[0] for f in listed if not f.startswith(("..", "t2iqa-"))}
    assert top == {"t2iqa"}, top
    assert "t2iqa/benchmarks/smoke.yaml" in listed  # suites ship as package data

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env |= {"HF_HUB_OFFLINE": "1", "T2IQA_CACHE": str(tmp_path / "cache")}
    where = run([str(python), "-c", "import evaluate, t2iqa; print(evaluate.__file__, "
                 "hasattr(evaluate, 'load'), t2iqa.__file__)"], tmp_path, env)  # fmt: skip
    hf_file, has_load, ours = where.split()
    assert "evaluate" in hf_file and has_load == "True"  # Hugging Face's, untouched
    assert ours.startswith(purelib)  # the wheel's t2iqa, not this checkout
    out = run([str(env_dir / "bin" / "t2iqa"), "run", "--suite", "smoke", "--model", "embedded",
               "--scorers", "embedded", "--limit", "2", "--check", "image_sanity",
               "--check", "clip_alignment", "--store", str(tmp_path / "store")],
              tmp_path, env)  # fmt: skip
    assert "image_sanity" in out and "plumbing" in out.lower()
