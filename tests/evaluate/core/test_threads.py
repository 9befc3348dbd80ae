from __future__ import annotations

import os
import subprocess
import sys

import pytest

from t2iqa.core import threads


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for var in (threads.ENV, *threads.LIBRARY_VARS):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_an_explicit_setting_wins_and_is_shared_out(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("OMP_NUM_THREADS", "4")
    assert (threads.thread_budget(), threads.thread_budget(2), threads.thread_budget(8)) == (
        4,
        2,
        1,
    )
    clean_env.setenv(threads.ENV, "6")  # ours over the library's
    assert threads.thread_budget(3) == 2
    clean_env.setenv(threads.ENV, "zero")  # not a count: ignored, the next rule applies
    assert threads.thread_budget() == 4


def test_busy_cpus_are_left_alone(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setattr(threads, "usable_cpus", lambda: 8)
    clean_env.setattr(os, "getloadavg", lambda: (5.2, 0.0, 0.0))
    assert threads.thread_budget() == 3 and threads.thread_budget(2) == 1
    clean_env.setattr(os, "getloadavg", lambda: (30.0, 0.0, 0.0))  # overloaded: still 1
    assert threads.thread_budget() == 1
    clean_env.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert threads.thread_budget() == 8 and threads.thread_budget(3) == 2


def test_the_cli_sets_torchs_threads_before_it_loads() -> None:
    code = ("import os, sys; os.environ['T2IQA_THREADS'] = '1'; "
            "from t2iqa.cli import main; sys.argv = ['t2iqa', '--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "import torch; print(os.environ['OMP_NUM_THREADS'], torch.get_num_threads())")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in threads.LIBRARY_VARS}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout  # fmt: skip
    assert out.split()[-2:] == ["1", "1"]
