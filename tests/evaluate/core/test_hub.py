"""A machine that cannot reach the hub: one probe puts the process offline, and the loaders
go straight to what is local instead of retrying every request (huggingface_hub's backoff:
about 25 s a model)."""

from __future__ import annotations

import os
import subprocess
import sys

# Loads the default detector and CLIP with HF_HUB_OFFLINE unset and the hub at a closed port.
PROBE = """
import huggingface_hub.constants as c
from t2iqa.checks.clip_alignment import load_clip
from t2iqa.checks.detectors import load_detector
from t2iqa.core.errors import Unavailable
for load in (lambda: load_detector("owl", "", "cpu"), lambda: load_clip("ViT-B-32", "openai", None, None, "cpu")):
    try:
        load()
    except Unavailable as exc:
        print("UNAVAILABLE", str(exc)[:60])
print("OFFLINE", c.HF_HUB_OFFLINE)
"""


def test_an_unreachable_hub_is_asked_once_and_never_retried() -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    }
    env["HF_ENDPOINT"] = "http://127.0.0.1:9"  # the discard port: nothing listens
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env,
                          timeout=600)  # fmt: skip
    assert done.stdout.count("UNAVAILABLE") == 2, done.stdout + done.stderr[-2000:]
    assert "OFFLINE True" in done.stdout
    assert "Retrying" not in done.stderr, done.stderr[-2000:]  # huggingface_hub's backoff


def test_a_set_offline_mode_and_local_paths_never_probe(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from t2iqa.core import hub

    def refuse(*args: object) -> None:
        raise AssertionError("probed")

    monkeypatch.setattr(hub.socket, "create_connection", refuse)
    hub.hub_reachable.cache_clear()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub.prepare_hub("google/owlv2-base-patch16-ensemble")
    monkeypatch.delenv("HF_HUB_OFFLINE")
    hub.prepare_hub(str(tmp_path))
    hub.hub_reachable.cache_clear()
