"""How much memory each scorer takes, measured where it runs; a run records it in its
provenance (``scorer_memory_mib``), so a user can see which scorers fit on one card together.

On a CUDA device: the most memory torch allocated during the scorer's calls beyond what was
allocated when they began (its model, activations and caches at their peak). Elsewhere: how
much the process's resident memory grew over the scorer's first call, which loads its model
(later calls reuse it); growth, not a peak, so activations that were freed are not counted.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_PEAK_MIB: dict[str, float] = {}
_LOCK = threading.Lock()
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _resident_bytes() -> int | None:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * PAGE
    except (OSError, ValueError, IndexError):
        return None


def _cuda() -> object | None:
    torch = sys.modules.get("torch")  # never imported for this: a scorer that needs it has
    return torch if torch is not None and torch.cuda.is_available() else None


@contextmanager
def measured(scorer: str) -> Iterator[None]:
    """Record what the block adds to memory under ``scorer``'s name (the largest seen)."""
    torch = _cuda()
    first = scorer not in _PEAK_MIB
    if torch is not None:
        before = torch.cuda.memory_allocated()  # type: ignore[attr-defined]
        torch.cuda.reset_peak_memory_stats()  # type: ignore[attr-defined]
    elif not first:
        yield  # on the CPU only the first call, which loads the model, is measured
        return
    else:
        before = _resident_bytes()
    yield
    if torch is not None:
        added = torch.cuda.max_memory_allocated() - before  # type: ignore[attr-defined]
    else:
        after = _resident_bytes()
        added = after - before if after is not None and before is not None else None
    if added is not None:
        with _LOCK:
            _PEAK_MIB[scorer] = round(max(_PEAK_MIB.get(scorer, 0.0), added / 2**20), 1)


def scorer_memory() -> dict[str, float]:
    """MiB per scorer measured in this process so far."""
    with _LOCK:
        return dict(_PEAK_MIB)
