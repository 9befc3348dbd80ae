"""The Python API: what the CLI does, for notebooks and scripts.

Five functions, each returning typed results with a ``frame()`` (pandas, one row per image
and check) where rows make sense::

    import t2iqa
    report = t2iqa.check(["poster.png"], prompt='a sign that says "OPEN"')
    result = t2iqa.run(suite="smoke", model="embedded", seeds=2, store="runs")
    comparison = t2iqa.compare("run-a", "run-b", store="runs")
    with t2iqa.open_store("runs") as store: ...
    marked = t2iqa.disclose(["poster.png"], out="marked")

The CLI calls these same functions; it adds only argument parsing, progress bars and
printing. Errors a user can fix raise ``t2iqa.T2IQAError`` with a message saying what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from t2iqa.core.errors import T2IQAError

if TYPE_CHECKING:  # pandas and the rest load when a call needs them, not with the API
    import pandas as pd

    from t2iqa.comparison.compare import Comparison
    from t2iqa.comparison.geneval import GenEvalScores
    from t2iqa.comparison.leaderboard import Leaderboard
    from t2iqa.disclosure.disclose import Disclosed
    from t2iqa.generation.base import GenerationSettings, ImageSource
    from t2iqa.qa.verdicts import Policy, QAVerdict
    from t2iqa.runs.runner import Reporter, RunOutcome
    from t2iqa.store.db import Store

DEFAULT_STORE = "t2iqa-store"
VERDICT_COLUMNS = [
    "image", "prompt", "verdict", "check", "check_verdict", "passed", "score", "reason",
]  # fmt: skip


# ------------------------------------------------------------------------------ check


@dataclass(frozen=True)
class CheckReport:
    """The verdicts of ``t2iqa.check``: one per image, in the order given."""

    verdicts: list[QAVerdict]
    policy: Policy

    def __iter__(self) -> Iterator[QAVerdict]:
        return iter(self.verdicts)

    def __len__(self) -> int:
        return len(self.verdicts)

    @property
    def passed(self) -> bool:
        """Every image passed (what exit code 0 of `t2iqa check` means)."""
        return all(v.verdict == "pass" for v in self.verdicts)

    def frame(self) -> pd.DataFrame:
        """One row per (image, check); an unreadable image is one row with check None."""
        rows = []
        for v in self.verdicts:
            for r in v.results or [None]:
                rows.append(
                    {
                        "image": v.image, "prompt": v.prompt, "verdict": v.verdict,
                        "check": r.check if r else None, "check_verdict": r.verdict if r else None,
                        "passed": r.passed if r else None, "score": r.score if r else None,
                        "reason": r.reason if r else "; ".join(v.reasons),
                    }
                )  # fmt: skip
        import pandas as pd

        frame = pd.DataFrame(rows, columns=VERDICT_COLUMNS)
        frame["passed"] = frame["passed"].astype("boolean")
        return frame


def check(
    images: str | Path | Sequence[str | Path] = (),
    prompt: str | None = None,
    *,
    expect: Mapping[str, Any] | None = None,
    manifest: str | Path | None = None,
    policy: Policy | Mapping[str, Any] | str | Path | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    workers: int = 1,
    on_result: Callable[[QAVerdict], None] | None = None,
    allow_outside_paths: bool = False,
) -> CheckReport:
    """Pre-publication QA: judge image files (or folders) against one prompt, or the entries
    of a manifest, under a policy (a ``Policy``, its dict, or a YAML path; default: every
    check). ``expect`` overrides what the prompt implies (``{"text": "OPEN", "hands": 2}``);
    ``options`` override check options (``{"ocr_text": {"case_sensitive": True}}``). A manifest's
    image paths must stay inside its folder unless ``allow_outside_paths``."""
    from t2iqa.core.expectations import parse_expectations
    from t2iqa.qa.entries import entries_from_paths, expectations_for, read_manifest
    from t2iqa.qa.verdicts import check_entries

    paths = [Path(images)] if isinstance(images, str | Path) else [Path(p) for p in images]
    if manifest is not None and paths:
        raise T2IQAError("give image paths with a prompt, or a manifest, not both")
    if manifest is not None:
        entries = read_manifest(Path(manifest), allow_outside_paths)
    elif paths:
        if prompt is None:
            raise T2IQAError("a prompt is required with image paths (or use a manifest)")
        given = dict(expect or {})
        implied = expectations_for(prompt, given.pop("text", None), given.pop("hands", None))
        if given:  # e.g. counts: laid over what the prompt implies
            implied = {**(implied or parse_expectations(prompt).to_dict()), **given}
        entries = entries_from_paths(paths, prompt, implied)
    else:
        raise T2IQAError("nothing to check: pass image paths with a prompt, or a manifest")
    if workers < 1:
        raise T2IQAError("workers must be 1 or more")
    pol = build_policy(policy, options)
    verdicts = check_entries(entries, pol, workers, on_result=on_result or (lambda v: None))
    return CheckReport(verdicts, pol)


def build_policy(
    policy: Policy | Mapping[str, Any] | str | Path | None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> Policy:
    """A policy from an object, a dict or a YAML file, with check options laid over it."""
    from t2iqa.qa.verdicts import Policy, load_policy, policy_from_dict

    if policy is None:
        pol = Policy()
    elif isinstance(policy, Policy):
        pol = policy
    elif isinstance(policy, Mapping):
        pol = policy_from_dict(dict(policy), "policy")
    else:
        pol = load_policy(Path(policy))
    if not options:
        return pol
    merged = {k: dict(v) for k, v in pol.options.items()}
    for name, opts in options.items():
        merged.setdefault(name, {}).update(opts)
    return policy_from_dict({**pol.to_dict(), "options": merged}, "options")


# ------------------------------------------------------------------------------ run


@dataclass(frozen=True)
class RunResult:
    """A finished (or resumed) run: what happened, and where its results are."""

    outcome: RunOutcome
    store: str | Path  # a folder, or a team store's URL
    images_at: str | None = None

    @property
    def run_id(self) -> str:
        return self.outcome.run_id

    def frame(self) -> pd.DataFrame:
        """One row per (image, check) of the run, as ``t2iqa export`` writes it."""
        from t2iqa.store.export import run_frame

        with open_store(self.store, read_only=True, images_at=self.images_at) as store:
            return run_frame(store, self.run_id)

    def geneval(self) -> GenEvalScores | None:
        """GenEval's scores (six tasks and overall; ``.score(task)``, ``.overall``), when the
        run has composition results on GenEval's tasks (``--suite geneval``)."""
        from t2iqa.comparison.geneval import geneval_scores

        with open_store(self.store, read_only=True) as store:
            return geneval_scores(self.run_id, store.iter_result_rows(self.run_id))


def run(
    suite: str | Path = "smoke",
    model: str = "embedded",
    *,
    seeds: int | Sequence[int] = 1,
    store: str | Path = DEFAULT_STORE,
    checks: Sequence[str] | None = None,
    check_options: Mapping[str, Mapping[str, Any]] | None = None,
    set_metrics: Sequence[str] = (),
    set_options: Mapping[str, Mapping[str, Any]] | None = None,
    settings: GenerationSettings | None = None,
    images: str | Path | None = None,
    manifest: str | Path | None = None,
    limit: int | None = None,
    run_id: str | None = None,
    scorers: str = "default",
    reporter: Reporter | None = None,
    source: ImageSource | None = None,
    allow_outside_paths: bool = False,
    images_at: str | None = None,
    engine: str = "local",
    ray_address: str | None = None,
) -> RunResult:
    """Generate (or import, with ``images``) a suite's images, score them and store them;
    the same call resumes an interrupted run. ``seeds=4`` means seeds 0-3; a sequence names
    them. ``scorers="embedded"`` uses tiny random-weight scorers (plumbing only). An import
    manifest's paths must stay inside ``images`` unless ``allow_outside_paths``. ``store`` is a
    folder or a team store's ``postgresql://`` URL, whose images go to ``images_at``.
    ``engine="ray"`` makes and scores the images on a Ray cluster (``ray_address``, or a
    local one)."""
    from t2iqa.generation.base import GenerationSettings, checked_seeds, seeds_from_count
    from t2iqa.runs import memory_plan
    from t2iqa.runs.engines import Engine
    from t2iqa.runs.runner import RunConfig, execute_run

    seed_list = seeds_from_count(seeds) if isinstance(seeds, int) else checked_seeds(seeds)
    if limit is not None and limit < 1:
        raise T2IQAError("limit must be 1 or more")
    if scorers not in ("default", "embedded"):
        raise T2IQAError(f"scorers must be 'default' or 'embedded', not {scorers!r}")
    c_opts = {k: dict(v) for k, v in (check_options or {}).items()}
    s_opts = {k: dict(v) for k, v in (set_options or {}).items()}
    if scorers == "embedded":
        if not checks:  # every scorer's plumbing, the opt-in ones too: their stand-ins are tiny
            from t2iqa.checks import DEFAULT_CHECKS, OPT_IN

            checks = [*DEFAULT_CHECKS, *OPT_IN]
        c_opts, s_opts = embedded_scorer_options(c_opts, s_opts, tuple(checks),
                                                 tuple(set_metrics))  # fmt: skip
    config = RunConfig(
        suite=str(suite), model=model, seeds=seed_list, settings=settings or GenerationSettings(),
        checks=tuple(checks) if checks else None, check_options=c_opts, limit=limit,
        images_dir=str(images) if images else None, manifest=str(manifest) if manifest else None,
        set_metrics=tuple(set_metrics), set_options=s_opts,
        allow_outside_paths=allow_outside_paths,
    )  # fmt: skip
    config.scorers()  # option problems are reported before the store is created
    memory_plan.budget_setting()  # and a malformed T2IQA_MODEL_MEMORY_MIB
    where = Engine(engine, ray_address)
    with open_store(store, images_at=images_at) as st:
        outcome = execute_run(config, st, reporter, run_id=run_id, source=source, engine=where)
    return RunResult(outcome, store, images_at)


def embedded_scorer_options(
    check_options: dict[str, dict[str, Any]],
    set_options: dict[str, dict[str, Any]],
    checks: tuple[str, ...],
    metrics: tuple[str, ...],
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The tiny random-weight scorer models the run's checks and metrics name on their
    classes (``embedded_options``); options the user gives win. Only the run's own check
    classes are imported (an unknown name is left for the run to report)."""
    from t2iqa.checks import REGISTRY, SET_METRICS

    embedded = {n: dict(REGISTRY[n].embedded_options) for n in checks if n in REGISTRY}
    checks = {k: {**v, **check_options.get(k, {})} for k, v in embedded.items() if v}
    checks.update({k: v for k, v in check_options.items() if k not in checks})
    sets = {m: {**SET_METRICS[m].embedded_options, **set_options.get(m, {})}
            for m in metrics if m in SET_METRICS}  # fmt: skip
    sets.update({k: v for k, v in set_options.items() if k not in sets})
    return checks, sets


# ------------------------------------------------------------------------------ compare


def compare(
    baseline: str,
    candidate: str,
    *more: str,
    store: str | Path = DEFAULT_STORE,
    gate: Mapping[str, Any] | str | Path | None = None,
    rank: bool = False,
) -> Comparison | Leaderboard:
    """Gate a candidate run against a baseline (a ``Comparison``; ``.failed`` is the gate),
    or rank three or more runs, or two with ``rank=True`` (a ``Leaderboard``). Runs are
    named as on the command line: ``RUN_ID``, ``STORE_DIR`` or ``STORE_DIR:RUN_ID``."""
    from t2iqa.comparison.compare import compare_runs
    from t2iqa.comparison.gate import gate_from_dict, load_gate
    from t2iqa.comparison.leaderboard import leaderboard
    from t2iqa.comparison.runs import load_runs

    rules = gate_from_dict(dict(gate)) if isinstance(gate, Mapping) else load_gate(
        Path(gate) if gate is not None else None
    )  # fmt: skip
    from t2iqa.arena import people_for

    loaded = load_runs([baseline, candidate, *more], store)
    result = compare_runs(loaded[0], loaded[1], rules) if len(loaded) == 2 and not rank else (
        leaderboard(loaded, rules))  # fmt: skip
    result.people = people_for([r.location for r in loaded], [r.run.run_id for r in loaded])
    return result


# ------------------------------------------------------------------------------ store


def open_store(
    path: str | Path = DEFAULT_STORE, read_only: bool = False, images_at: str | None = None
) -> Store:
    """The result store in ``path`` (created unless ``read_only``), a folder or a team store's
    ``postgresql://`` URL (its images at ``images_at``); use it in a ``with``.
    ``store.list_runs()``, ``store.result_rows(run_id)`` (typed rows) and
    ``store.set_results(run_id)`` read it."""
    from t2iqa.store.db import Store

    return Store(path, read_only=read_only, images_at=images_at)


# ------------------------------------------------------------------------------ disclosure


def disclose(
    images: str | Path | Sequence[str | Path],
    out: str | Path,
    source_type: str = "trainedAlgorithmicMedia",
    cert: str | Path | None = None,
    key: str | Path | None = None,
    tsa_url: str | None = None,
    overwrite: bool = False,
) -> list[Disclosed]:
    """Copies of ``images`` in ``out`` that declare themselves AI-made: the IPTC
    DigitalSourceType in their XMP and, with ``cert`` and ``key``, a signed C2PA manifest.
    One ``Disclosed`` per image (``.ok``, ``.output``, ``.problem``); inputs are never
    written."""
    from t2iqa.disclosure.credentials import load_signing_key
    from t2iqa.disclosure.disclose import disclose_files

    if (cert is None) != (key is None):
        raise T2IQAError("cert and key go together: the certificate chain and its private key")
    signing = load_signing_key(Path(cert), Path(key)) if cert and key else None
    paths = [Path(images)] if isinstance(images, (str, Path)) else [Path(p) for p in images]
    return disclose_files(paths, Path(out), source_type, signing, tsa_url, overwrite)
