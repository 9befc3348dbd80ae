"""Loading a large suite: wall time, CPU time and memory for 100,000 prompts.

A generated suite (varied prompts: counts, quoted text, hands) is written as YAML and as
JSONL, then loaded with ``load_suite`` in a fresh process per repeat, the formats
interleaved. Printed per format: the median wall and CPU seconds and the median peak memory
the load adds (peak resident size during the load minus the resident size before it, MiB). Targets:
under 10 s and 200 MiB for 100k prompts (the issue measured 94 s and 441 MB before).

    python -m t2iqa.benchmarks.speed_suite_load [--prompts 100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

# Run in a fresh interpreter so each figure is one load's alone.
# Memory is read from /proc/self/status: VmHWM (peak resident) starts afresh at exec, while
# ru_maxrss would carry over the parent's peak from before the fork.
LOAD_SCRIPT = """
import json, sys, time
from t2iqa.suites.files import load_suite
def status_mib(key):
    with open("/proc/self/status") as fh:
        line = next(l for l in fh if l.startswith(key + ":"))
    return int(line.split()[1]) / 1024
before = status_mib("VmRSS")
wall, cpu = time.perf_counter(), time.process_time()
suite = load_suite(sys.argv[1])
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print(json.dumps({"prompts": len(suite.prompts), "wall": wall, "cpu": cpu,
                  "added_mib": status_mib("VmHWM") - before}))
"""

OBJECTS = ("apples", "cats", "red cars", "teddy bears", "cups", "birds", "books")


def prompt_entry(i: int) -> dict[str, str]:
    kind = i % 4
    if kind == 0:
        text = f"a photo of {2 + i % 5} {OBJECTS[i % len(OBJECTS)]} on a wooden table"
    elif kind == 1:
        text = f'a shop sign that says "OPEN {i}" above a door at night'
    elif kind == 2:
        text = f"a close-up of a hand holding a pen, studio light, variant {i}"
    else:
        text = f"a watercolor landscape with mountains and a lake, number {i}"
    return {
        "id": f"p{i:06d}",
        "prompt": text,
        "category": ("counting", "text", "hands", "scene")[kind],
    }


def write_suites(folder: Path, n: int) -> dict[str, Path]:
    prompts = [prompt_entry(i) for i in range(n)]
    yaml_path, jsonl_path = folder / "big.yaml", folder / "big.jsonl"
    suite = {"name": "big", "version": "1", "prompts": prompts}
    yaml_path.write_text(
        yaml.dump(suite, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False)
    )
    jsonl_path.write_text("".join(json.dumps(p) + "\n" for p in prompts))
    return {"yaml": yaml_path, "jsonl": jsonl_path}


def load_once(path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", LOAD_SCRIPT, str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = write_suites(Path(tmp), args.prompts)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in files}
        for _ in range(args.repeats):
            for name, path in files.items():  # interleaved: drift hits both alike
                runs[name].append(load_once(path))
    print(f"load_suite, {args.prompts} prompts, median of {args.repeats} fresh processes")
    print(f"{'format':<8}{'wall s':>9}{'cpu s':>9}{'added MiB':>12}")
    for name, results in runs.items():
        assert all(r["prompts"] == args.prompts for r in results)
        med = {k: statistics.median(r[k] for r in results) for k in ("wall", "cpu", "added_mib")}
        print(f"{name:<8}{med['wall']:>9.2f}{med['cpu']:>9.2f}{med['added_mib']:>12.0f}")


if __name__ == "__main__":
    main()
