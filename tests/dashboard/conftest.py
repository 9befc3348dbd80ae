from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from t2iqa.benchmarks.synthetic_store import write_synthetic_run
from t2iqa.store.db import Store
from t2iqa.suites.files import load_suite


@pytest.fixture(scope="session")
def dashboard_store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dashboard") / "store"
    core = load_suite("core")
    with Store(root) as st:
        write_synthetic_run(st, "model-a", core, model="synthetic-a", seeds=(0, 1), side=48,
                            set_metrics={"fid": 24.0, "kid": 0.02})  # fmt: skip
        write_synthetic_run(st, "model-b", core, model="synthetic-b", seeds=(0, 1), side=48,
                            shift={"object_count": 1.5}, set_metrics={"fid": 18.0})  # fmt: skip
    return root


@pytest.fixture
def dashboard_store(dashboard_store_template: Path, tmp_path: Path) -> Path:
    """A private copy: tests may break it (delete an image) without touching the others."""
    root = tmp_path / "store"
    shutil.copytree(dashboard_store_template, root)
    return root
