"""How many threads the numeric libraries (torch, OpenMP, MKL) may use in one process.

torch starts one thread per core and spins between parallel regions; where other work keeps
the cores busy that collapses (one 64x64 embedded image took 260-355 s on 2 threads against
~3 s on 1 on the 2-core test machine under load, issue 15), and two worker processes of 2
threads each on 2 cores fight the same way. The policy:

1. a user's explicit setting wins: ``T2IQA_THREADS``, else ``OMP_NUM_THREADS``;
2. otherwise the CPUs this process may run on (its affinity, which containers and
   ``taskset`` narrow) less those already busy (the 1-minute load average, read before our
   own work starts), at least 1;
3. shared by the processes judging together: each of ``k`` gets ``max(1, budget // k)``.

Applied through the environment before torch is imported (OpenMP and MKL read it at start),
and to torch directly when it is already loaded.
"""

from __future__ import annotations

import os
import sys

ENV = "T2IQA_THREADS"
LIBRARY_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")


def usable_cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows: no affinity call
        return os.cpu_count() or 1


def explicit_threads() -> int | None:
    """The user's own thread count, if one is set (and is a whole number of at least 1)."""
    for var in (ENV, "OMP_NUM_THREADS"):
        value = os.environ.get(var, "").strip()
        if value.isdigit() and int(value) >= 1:
            return int(value)
    return None


def thread_budget(processes: int = 1) -> int:
    """Threads for each of ``processes`` processes judging together on this machine."""
    total = explicit_threads()
    if total is None:
        cpus = usable_cpus()
        try:
            busy = os.getloadavg()[0]
        except (AttributeError, OSError):  # no load average on this platform
            busy = 0.0
        total = min(cpus, max(1, round(cpus - busy)))
        return max(1, total // max(processes, 1))
    return total if processes <= 1 else max(1, total // processes)


def apply_threads(threads: int, override: bool = False) -> None:
    """Use ``threads`` threads in this process: the libraries' variables for what is
    imported later (kept where already set, unless ``override``: a worker process inherits
    its parent's), torch itself if it is loaded."""
    for var in LIBRARY_VARS:
        if override:
            os.environ[var] = str(threads)
        else:
            os.environ.setdefault(var, str(threads))
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
