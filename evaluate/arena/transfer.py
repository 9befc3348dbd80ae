"""``t2iqa votes export`` and ``t2iqa votes import``: votes as CSV or Parquet files.

Export writes every stored column. Import reads votes collected elsewhere, one row per pair:
``prompt_id, seed, run_a, run_b, winner`` (winner ``a``, ``b``, ``tie`` or ``both_bad``; also
the export's own ``run_left, run_right, left/right`` columns), optionally ``rater``. Every
bad row is reported by its line and the good ones are stored; a row's id is its content (and
how often that content came before in the file), so importing a file twice adds nothing.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from t2iqa.core.errors import T2IQAError
from t2iqa.store.db import Store
from t2iqa.store.records import now_iso
from t2iqa.store.votes import COLUMNS, WINNERS, Vote, add_votes, read_votes

FORMATS = {".csv": "csv", ".parquet": "parquet"}
ALIASES = {"a": "left", "b": "right", "run_a": "left", "run_b": "right"}


def _format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise T2IQAError(f"{path}: name a .csv or .parquet file")
    return fmt


def export_votes(store: Store, runs: Sequence[str], out: Path) -> int:
    """Write the votes between ``runs`` (all votes when none given); returns how many."""
    import pandas as pd

    fmt = _format(out)
    for run in runs:
        store.get_run(run)  # an unknown run id is named, with the known ones
    votes = read_votes(store, runs or None)
    frame = pd.DataFrame([asdict(v) for v in votes], columns=list(COLUMNS))
    try:
        frame.to_csv(out, index=False) if fmt == "csv" else frame.to_parquet(out, index=False)
    except OSError as exc:
        raise T2IQAError(f"cannot write {out}: {exc.strerror or exc}") from None
    return len(votes)


def _read_rows(path: Path) -> list[dict[str, Any]]:
    import pandas as pd

    fmt = _format(path)
    if not path.is_file():
        raise T2IQAError(f"{path}: no such file")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False) if fmt == "csv" else (
            pd.read_parquet(path).astype(str))  # fmt: skip
    except (ValueError, OSError) as exc:
        raise T2IQAError(f"{path}: cannot read it as {fmt} ({exc})") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if "run_a" in frame.columns:
        frame = frame.rename(columns={"run_a": "run_left", "run_b": "run_right"})
    missing = {"prompt_id", "seed", "run_left", "run_right", "winner"} - set(frame.columns)
    if missing:
        raise T2IQAError(
            f"{path}: missing column(s) {', '.join(sorted(missing))}; a row "
            "is prompt_id, seed, run_a, run_b, winner (a, b, tie or both_bad)"
        )
    return frame.to_dict("records")


def import_votes(store: Store, path: Path) -> tuple[int, int, list[str]]:
    """Store the file's good rows; returns (rows stored new, rows already there, problems)."""
    rows = _read_rows(path)
    images: dict[str, dict[tuple[str, int], str]] = {}
    problems, votes, seen = [], [], Counter()
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        try:
            vote = _vote(store, row, images, path, seen)
        except ValueError as exc:
            problems.append(f"{path.name} line {line}: {exc}")
            continue
        votes.append(vote)
    new = add_votes(store, votes) if votes else 0
    return new, len(votes) - new, problems


def _vote(store: Store, row: dict[str, Any], images: dict[str, dict[tuple[str, int], str]],
          path: Path, seen: Counter[str]) -> Vote:  # fmt: skip
    winner = str(row["winner"]).strip().lower()
    winner = ALIASES.get(winner, winner)
    if winner not in WINNERS:
        raise ValueError(f"winner {row['winner']!r}: use a, b, tie or both_bad")
    try:
        seed = int(str(row["seed"]).strip())
    except ValueError:
        raise ValueError(f"seed {row['seed']!r} is not a whole number") from None
    prompt = str(row["prompt_id"]).strip()
    left, right = str(row["run_left"]).strip(), str(row["run_right"]).strip()
    if left == right:
        raise ValueError(f"run A and run B are both {left!r}")
    hashes = []
    for run in (left, right):
        if run not in images:
            try:
                images[run] = {(r.prompt_id, r.seed): r.image_hash for r in store.images(run)}
            except T2IQAError:
                images[run] = {}
            if not images[run]:
                raise ValueError(f"no run {run!r} with images in this store")
        if (prompt, seed) not in images[run]:
            raise ValueError(f"run {run!r} has no image for prompt {prompt!r} seed {seed}")
        hashes.append(images[run][(prompt, seed)])
    rater = str(row.get("rater", "") or "").strip()
    content = "\x1f".join((prompt, str(seed), left, right, winner, rater))
    seen[content] += 1
    vote_id = hashlib.sha256(f"{content}\x1f{seen[content]}".encode()).hexdigest()[:32]
    seconds = row.get("seconds")
    return Vote(vote_id, prompt, seed, left, right, hashes[0], hashes[1], winner, rater,
                str(row.get("kind") or "pair"), _float(seconds), str(row.get("created_at") or
                now_iso("microseconds")), f"import:{path.name}")  # fmt: skip


def _float(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if out == out else None  # NaN: none given
