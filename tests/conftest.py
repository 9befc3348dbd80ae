"""Shared fixtures. Tests never touch the network: the hub is switched off for the session and
the embedded model is built once into a session cache."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session", autouse=True)
def embedded_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One embedded-model build per test session, in a temporary cache."""
    cache = tmp_path_factory.mktemp("t2iqa-cache")
    old = os.environ.get("T2IQA_CACHE")
    os.environ["T2IQA_CACHE"] = str(cache)
    yield cache
    if old is None:
        os.environ.pop("T2IQA_CACHE", None)
    else:
        os.environ["T2IQA_CACHE"] = old


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


def require_system_files(paths: list[Path], package: str) -> None:
    """Skip when Debian test data is missing, unless T2IQA_REQUIRE_SYSTEM_DATA=1 (set by
    ``make test``, which installs it): there a missing file is a failure, not a silent skip."""
    missing = [p for p in paths if not p.is_file()]
    if not missing:
        return
    message = f"{missing[0]} missing: install Debian's {package} (make system-deps)"
    if os.environ.get("T2IQA_REQUIRE_SYSTEM_DATA") == "1":
        pytest.fail(message)
    pytest.skip(message)
