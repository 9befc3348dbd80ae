"""Shared fixtures. Tests never touch the network: the hub is switched off for the session and
the embedded model is built once into a session cache."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from t2iqa.benchmarks.signing import SigningFiles, make_signer

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


def core_images(seeds: int = 2) -> int:
    """Images a synthetic run of the core suite holds (the dashboard and comparison stores
    use two seeds): tests count from the suite, not from a number that changes with it."""
    from t2iqa.suites.files import load_suite

    return seeds * len(load_suite("core").prompts)


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


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (never a downloaded browser), headless."""
    from t2iqa.benchmarks.speed_dashboard import CHROMIUM, launch_chromium

    require_system_files([CHROMIUM], "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where browser tests leave screenshots: T2IQA_TEST_ARTIFACTS, else test-artifacts/."""
    path = Path(os.environ.get("T2IQA_TEST_ARTIFACTS", "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def comparison_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthetic runs with known differences (see benchmarks/synthetic_store.py)."""
    from t2iqa.benchmarks.synthetic_store import write_synthetic_run
    from t2iqa.store.db import Store
    from t2iqa.suites.files import load_suite

    root = tmp_path_factory.mktemp("compare") / "store"
    core, smoke = load_suite("core"), load_suite("smoke")
    seeds = (0, 1)
    with Store(root) as st:
        write_synthetic_run(st, "base", core, seeds=seeds, noise_key="base", side=32)
        write_synthetic_run(st, "same", core, seeds=seeds, noise_key="base", side=32)
        write_synthetic_run(st, "rerun", core, seeds=seeds, noise_key="rerun", side=32)
        write_synthetic_run(st, "worse", core, seeds=seeds, noise_key="worse", side=32,
                            shift={"object_count": -1.2})  # fmt: skip
        write_synthetic_run(st, "better", core, seeds=seeds, noise_key="better", side=32,
                            shift={"object_count": 1.2})  # fmt: skip
        write_synthetic_run(st, "smoke", smoke, seeds=seeds, side=32)
    return root


@pytest.fixture(scope="session")
def dashboard_store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two synthetic runs of the core suite (dashboard, arena and report tests)."""
    from t2iqa.benchmarks.synthetic_store import write_synthetic_run
    from t2iqa.store.db import Store
    from t2iqa.suites.files import load_suite

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


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A real PostgreSQL server on 127.0.0.1 for the session (Debian's package); its URL."""
    from t2iqa.benchmarks.services import ServiceUnavailable, postgres_server

    try:
        with postgres_server() as url:
            yield url
    except ServiceUnavailable as exc:
        if os.environ.get("T2IQA_REQUIRE_SYSTEM_DATA") == "1":
            pytest.fail(str(exc))
        pytest.skip(str(exc))


@pytest.fixture
def team_store(postgres: str, request: pytest.FixtureRequest) -> str:
    """A fresh, empty database on the session's PostgreSQL server: a team store's URL."""
    import re

    import psycopg

    name = re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:50] + f"_{os.getpid()}"
    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["folder", "postgresql"])
def any_store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A store location of each kind: a local folder, and a team store (images in a folder)."""
    if request.param == "folder":
        return str(tmp_path / "store")
    monkeypatch.setenv("T2IQA_IMAGES_AT", str(tmp_path / "team-images"))
    return request.getfixturevalue("team_store")


@pytest.fixture(scope="session")
def test_signer(tmp_path_factory: pytest.TempPathFactory) -> SigningFiles:
    """A certificate chain and key made in the test session, for C2PA signing."""
    return make_signer(tmp_path_factory.mktemp("signer"))
