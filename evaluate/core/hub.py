"""Asking the Hugging Face hub only when it can answer.

On a machine without network, every hub request of huggingface_hub is retried with backoff
(five tries, about 25 s per model) before a loader gives up, and each model of each process
pays it again: a check of one image waited 52 s instead of 9. So before the first model that
may come from the hub, one short TCP probe of the hub's host decides for the whole process:
unreachable means offline mode (``HF_HUB_OFFLINE``, which huggingface_hub, transformers,
diffusers and open_clip all honour), and every loader goes straight to local folders and the
cache. A set ``HF_HUB_OFFLINE`` is honoured without probing; local paths never probe.
"""

from __future__ import annotations

import functools
import os
import socket
from urllib.parse import urlparse

PROBE_SECONDS = 3.0  # a TCP connect to the hub answers in well under a second when it can
TRUE = ("1", "true", "yes", "on")


def offline_by_setting() -> bool:
    return any(
        os.environ.get(k, "").lower() in TRUE for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


@functools.cache
def hub_reachable() -> bool:
    """Whether the hub's host (``HF_ENDPOINT``, else huggingface.co) takes a connection;
    asked once per process."""
    url = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    port = url.port or (80 if url.scheme == "http" else 443)
    try:
        socket.create_connection((url.hostname or "huggingface.co", port), PROBE_SECONDS).close()
    except OSError:
        return False
    return True


def went_offline() -> bool:
    """Whether this process put itself offline (the hub did not answer its probe)."""
    return os.environ.get("T2IQA_HUB_UNREACHABLE") == "1"


def go_offline() -> None:
    """Offline mode for the rest of this process (and the processes it starts)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["T2IQA_HUB_UNREACHABLE"] = "1"
    try:
        import huggingface_hub.constants as hub_constants
    except ImportError:
        return
    # Read at call time by huggingface_hub's requests (and through it by transformers,
    # diffusers and open_clip); the environment variable alone is read only at import.
    hub_constants.HF_HUB_OFFLINE = True


def prepare_hub(source: str) -> str:
    """Call before loading ``source`` (a hub id or a local path) with a library that may ask
    the hub; load from what it returns. A copy prefetched under ``T2IQA_WEIGHTS`` (checked
    against its recorded hashes) comes first; else an unreachable hub puts the process
    offline first, so that the library goes straight to its cache."""
    from t2iqa.core.prefetched import prefetched

    if (local := prefetched(source)) is not None:
        return local
    if os.path.exists(os.path.expanduser(source)) or offline_by_setting():
        return source
    if not hub_reachable():
        go_offline()
    return source
