"""Synthetic stores: runs with known quality, for testing comparisons and timing the dashboard.

No model runs here. Each image is a small drawn picture, and each check result is drawn from
a model of how real benchmarks behave: every prompt has a difficulty shared by all runs (so
runs on the same suite are correlated, as real ones are), every image adds its own noise, and
a run's ``shift`` moves a check's log-odds of passing up or down by a known amount. Results
carry the same overlay primitives the real checks produce (boxes with labels), so galleries
and reports have something to draw.

    python -m t2iqa.benchmarks.synthetic_store OUT_STORE --runs 4 --seeds 6   # 4 x 216 x 6 images
"""

from __future__ import annotations

import argparse
import hashlib
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import CheckResult, SetResult, stable_hash
from t2iqa.runs.provenance import collect
from t2iqa.store.db import ImageRecord, Store
from t2iqa.suites.files import Suite, load_suite

# Which categories each synthetic check judges, and its base pass rate there.
APPLIES: dict[str, tuple[str, ...] | None] = {
    "image_sanity": None,  # every category
    "clip_alignment": None,
    "ocr_text": ("text",),
    "hand_anatomy": ("hands",),
    "object_count": ("counting", "composition"),
}
BASE_PASS_RATE = {
    "image_sanity": 0.97, "clip_alignment": 0.7, "ocr_text": 0.45, "hand_anatomy": 0.5,
    "object_count": 0.55,
}  # fmt: skip
PROMPT_SPREAD = 1.2  # sd of prompt difficulty on the log-odds scale
IMAGE_SPREAD = 0.8  # sd of per-image noise on the log-odds scale


@dataclass(frozen=True)
class SyntheticCheck:
    """Stands in for a registered check when recording which checks scored a run."""

    name: str
    version: str = "1"
    config: Mapping[str, Any] = field(default_factory=lambda: {"synthetic": True})

    def config_hash(self) -> str:
        return stable_hash({"name": self.name, "config": dict(self.config)})

    def config_dict(self) -> dict[str, Any]:
        return dict(self.config)


def _unit_rng(*parts: object) -> np.random.Generator:
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def prompt_difficulty(suite_name: str, prompt_id: str, check: str) -> float:
    """Shared by every run on the suite: what makes paired comparisons informative."""
    return float(_unit_rng("difficulty", suite_name, prompt_id, check).normal(0, PROMPT_SPREAD))


def draw_image(spec: PromptSpec, run_id: str, seed: int, side: int) -> bytes:
    rng = _unit_rng("pixels", run_id, spec.id, seed)
    colour = tuple(int(c) for c in rng.integers(40, 215, size=3))
    image = Image.new("RGB", (side, side), colour)
    draw = ImageDraw.Draw(image)
    for _ in range(4):
        x0, y0 = (int(v) for v in rng.integers(0, side // 2, size=2))
        w, h = (int(v) for v in rng.integers(side // 8, side // 2, size=2))
        fill = tuple(int(c) for c in rng.integers(0, 255, size=3))
        draw.ellipse((x0, y0, x0 + w, y0 + h), fill=fill)
    noise = rng.integers(0, 12, size=(side, side, 3), dtype=np.uint8)
    pixels = np.clip(np.asarray(image, dtype=np.int16) + noise, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def synthetic_result(
    check: str, spec: PromptSpec, passed: bool, score: float, side: int, rng: np.random.Generator
) -> CheckResult:
    x0, y0 = (float(v) for v in rng.uniform(0, side * 0.5, size=2))
    x1, y1 = x0 + side * 0.4, y0 + side * 0.4
    # Boxes where the real check draws something (OCR words, hands, detections).
    label = {"ocr_text": "read text", "hand_anatomy": "hand", "object_count": "object"}.get(check)
    box = {"kind": "box", "box": [x0, y0, x1, y1], "label": label, "ok": passed}
    overlay = [box] if label else []
    reason = "meets the synthetic bar" if passed else "below the synthetic bar"
    if check == "clip_alignment":
        score = 100 * score * 0.35  # CLIPScore-like range
    return CheckResult(
        check, "ok" if passed else "failed", passed, score, f"{reason} (synthetic)",
        {"overlay": overlay, "synthetic": True},
    )  # fmt: skip


def write_synthetic_run(
    store: Store,
    run_id: str,
    suite: Suite,
    *,
    model: str = "synthetic",
    seeds: Sequence[int] = (0, 1),
    shift: Mapping[str, float] | None = None,
    side: int = 64,
    checks: Sequence[str] = tuple(APPLIES),
    noise_key: str | None = None,
    provenance: Mapping[str, Any] | None = None,
    set_metrics: Mapping[str, float] | None = None,
) -> None:
    """Write one finished run. ``shift[check]`` adds to that check's log-odds of passing.

    ``noise_key`` names the per-image noise stream (default: the run id); two runs with the
    same key and no shift get identical results, which is what "nothing changed" looks like.
    ``set_metrics`` (e.g. ``{"fid": 12.5}``) stores those values with a ±5% interval, as if
    measured on the run's images against one synthetic reference.
    """
    shift = dict(shift or {})
    noise_key = noise_key or run_id
    synthetic_checks = [SyntheticCheck(c) for c in checks]
    config = {
        "identity": {"model": model, "seeds": list(seeds), "image_settings": {"synthetic": True},
                     "suite": {"name": suite.name, "version": suite.version}},
        "run_config": {"suite": suite.name, "model": model, "synthetic_shift": shift},
    }  # fmt: skip
    prov = dict(provenance) if provenance is not None else collect("cpu")
    prov.setdefault("source", {"backend": "synthetic", "model": model, "fingerprint": model})
    prov.setdefault("checks", {c.name: {"version": c.version, "config": c.config_dict()}
                               for c in synthetic_checks})  # fmt: skip
    store.create_or_resume_run(
        run_id, model, suite.name, suite.version, suite.content_hash(), suite.prompts,
        len(suite.prompts) * len(seeds), config, prov,
    )  # fmt: skip
    store.set_run_checks(run_id, synthetic_checks)
    rows = []
    for spec in suite.prompts:
        for seed in seeds:
            data = draw_image(spec, run_id, seed, side)
            image_hash, rel = store.put_image_file(data)
            context = stable_hash({"synthetic": spec.id, "seed": seed})
            generation = {"seed": seed, "synthetic": True}
            record = ImageRecord(
                run_id, spec.id, seed, image_hash, context, rel, side, side, 0.0, generation
            )
            store.add_image(record)
            rng = _unit_rng("noise", noise_key, spec.id, seed)
            for check in synthetic_checks:
                applies = APPLIES.get(check.name)
                if applies is not None and spec.category not in applies:
                    result = CheckResult(check.name, "not_applicable", None, None,
                                         "not asked for by this prompt")  # fmt: skip
                else:
                    p = BASE_PASS_RATE.get(check.name, 0.6)
                    logit = (
                        math.log(p / (1 - p))
                        - prompt_difficulty(suite.name, spec.id, check.name)
                        + shift.get(check.name, 0.0)
                        + rng.normal(0, IMAGE_SPREAD)
                    )
                    prob = 1 / (1 + math.exp(-logit))
                    result = synthetic_result(
                        check.name, spec, bool(rng.random() < prob), prob, side, rng
                    )
                rows.append((image_hash, context, check.config_hash(), result))
    store.put_check_results(rows)
    n_images = len(suite.prompts) * len(seeds)
    for metric, value in (set_metrics or {}).items():
        details = {
            "reference": "synthetic-reference",
            "reference_n": 5000,
            "feature_extractor": "synthetic",
            "resize_mode": "clean",
            "synthetic": True,
        }
        store.put_set_result(
            run_id, SetResult(metric, value, n_images, 0.95 * value, 1.05 * value, details)
        )  # fmt: skip
    store.set_run_status(run_id, "complete")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--suite", default="core")
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--side", type=int, default=96)
    args = parser.parse_args(argv)
    suite = load_suite(args.suite)
    with Store(args.store) as store:
        for k in range(args.runs):
            shift = {"object_count": 0.5 * k, "ocr_text": -0.3 * k, "hand_anatomy": 0.2 * k}
            sets = {"fid": 30.0 - 4 * k, "kid": 0.02 - 0.003 * k, "cmmd": 0.9 - 0.1 * k}
            write_synthetic_run(
                store, f"model-{chr(ord('a') + k)}", suite, model=f"synthetic-{k}",
                seeds=range(args.seeds), shift=shift, side=args.side, set_metrics=sets,
            )  # fmt: skip
    total = args.runs * len(suite.prompts) * args.seeds
    print(f"wrote {args.runs} runs, {total} images, to {args.store}")


if __name__ == "__main__":
    main()
