"""What every image source shares: the settings that decide an image, a request for one
(prompt, seed), the image that comes back, and the ``ImageSource`` interface.

A source answers two questions: which (prompt, seed) images a run holds (``plan``), and the
images for a batch of those requests (``generate``). An image depends only on (prompt, seed,
settings): every image gets its own seeded CPU generator, so batch composition and device do
not change the starting noise. A new backend (an HTTP API, ComfyUI) is one module with an
``ImageSource`` subclass plus one line in ``t2iqa.generation.SOURCES``.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from PIL import Image

from t2iqa.core.errors import T2IQAError
from t2iqa.core.prompts import PromptSpec

if TYPE_CHECKING:
    from t2iqa.suites.files import Suite


MAX_SEED = 2**63 - 1  # SQLite's largest integer; torch.Generator takes any 64-bit seed
MAX_SEEDS = 10_000  # seeds per prompt in one run: more is a typo, not an evaluation


def seeds_from_count(count: int, what: str = "seeds") -> tuple[int, ...]:
    """Seeds 0 .. count-1, the count bounded before the range is built."""
    if not 1 <= count <= MAX_SEEDS:
        raise T2IQAError(f"{what}: a count from 1 to {MAX_SEEDS}, not {count}")
    return tuple(range(count))


def checked_seeds(seeds: Sequence[int], what: str = "seeds") -> tuple[int, ...]:
    """Seeds a run may use: distinct whole numbers from 0 to MAX_SEED, at most MAX_SEEDS."""
    values = tuple(seeds)
    if not values or len(values) > MAX_SEEDS:
        raise T2IQAError(f"{what}: give 1 to {MAX_SEEDS} seeds per prompt, not {len(values)}")
    bad = [s for s in values if isinstance(s, bool) or not isinstance(s, int)]
    bad += [s for s in values if isinstance(s, int) and not 0 <= s <= MAX_SEED]
    if bad:
        raise T2IQAError(f"{what}: seeds are whole numbers from 0 to {MAX_SEED}, not {bad[0]!r}")
    if len(set(values)) != len(values):
        raise T2IQAError(f"{what}: each seed once (a repeated seed repeats the same image)")
    return values


OVERLAP_MODES = ("auto", "on", "off")


@dataclass(frozen=True)
class GenerationSettings:
    """Everything besides prompt and seed that decides an image. ``None`` = pipeline default."""

    steps: int | None = None
    guidance: float | None = None
    width: int | None = None
    height: int | None = None
    scheduler: str | None = None
    negative_prompt: str | None = None  # a suite prompt's own negative prompt wins
    dtype: str = "auto"
    device: str = "auto"
    batch_size: int = 1
    # Score finished images while the next batch generates: "auto" does where the generator
    # runs on an accelerator (on a CPU the two would share the same cores), "on", "off".
    overlap: str = "auto"

    def __post_init__(self) -> None:
        if self.overlap not in OVERLAP_MODES:
            raise T2IQAError(f"overlap must be one of {', '.join(OVERLAP_MODES)}, "
                             f"not {self.overlap!r}")  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def image_settings(self) -> dict[str, Any]:
        """The settings that define the images. Batch size and device are how they are made
        (recorded in provenance), so resuming on another GPU or batch size continues the run."""
        d = self.to_dict()
        for how in ("batch_size", "device", "overlap"):
            d.pop(how)
        return d


@dataclass(frozen=True)
class GenerationRequest:
    spec: PromptSpec
    seed: int

    @property
    def key(self) -> tuple[str, int]:
        return (self.spec.id, self.seed)


@dataclass
class GeneratedImage:
    request: GenerationRequest
    # The file bytes as stored, or their encoding still under way (a generator encodes a
    # batch's PNGs while it makes the next batch): read them through ``data``.
    encoded: bytes | Future[bytes]
    suffix: str  # ".png" for generated images; the original suffix for imported ones
    width: int
    height: int
    seconds: float | None
    flags: dict[str, Any] = field(default_factory=dict)
    # The decoded pixels where the source has them: the checks beside generation use them
    # instead of decoding the file again (PNG is lossless: the same pixels).
    pixels: Image.Image | None = field(default=None, repr=False, compare=False)

    @property
    def data(self) -> bytes:
        """The encoded file bytes (waits for an encoding under way)."""
        if isinstance(self.encoded, Future):
            self.encoded = self.encoded.result()
        return self.encoded


@dataclass(frozen=True)
class RejectedImage:
    """A request the source could not fulfil (an unreadable imported file). The run goes on
    with the rest and lists the rejected ones at the end (exit 1)."""

    request: GenerationRequest
    reason: str


class SourceConfig(Protocol):
    """What a run tells its source (``t2iqa.runs.runner.RunConfig`` is one)."""

    model: str
    settings: GenerationSettings
    images_dir: str | None
    manifest: str | None
    allow_outside_paths: bool  # manifest paths may leave the images folder


class ImageSource(ABC):
    """Where a run's images come from."""

    name: ClassVar[str]  # its registry name
    stage: ClassVar[str] = "generating"  # what the progress bar says it is doing

    @classmethod
    def from_config(cls, config: SourceConfig) -> ImageSource:
        """The source a run with this config reads its images from. Registered sources
        define it; one made by hand is passed to ``execute_run(source=...)`` instead."""
        raise T2IQAError(f"image source {cls.__name__} cannot be built from a run's config")

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """Identity of the source, saved with the run (model id, revision, fingerprint)."""

    @abstractmethod
    def plan(self, suite: Suite, seeds: Sequence[int]) -> list[GenerationRequest]:
        """The (prompt, seed) images this run holds, in order."""

    @abstractmethod
    def generate(
        self, requests: Sequence[GenerationRequest]
    ) -> Sequence[GeneratedImage | RejectedImage]:
        """Images for one batch of requests, in the same order; a request that cannot be
        fulfilled comes back as a ``RejectedImage`` saying why."""

    def expected_size(self) -> tuple[int, int] | None:
        return None

    def prepare(self) -> None:  # noqa: B027 - optional hook
        """Load what generation needs (model weights), raising a clear error if it cannot."""

    def on_accelerator(self) -> bool:
        """Whether generating leaves the CPU free (a GPU does the work), so that checks can
        run beside it. Asked after ``prepare``."""
        return False

    def close(self) -> None:  # noqa: B027 - optional hook; most sources hold nothing
        """Release model memory (GPU) when the run is done."""


def encode_png(image: Image.Image) -> bytes:
    """PNG bytes with no metadata, so the same pixels always give the same bytes and hash."""
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


# --------------------------------------------------------------------------- OOM back-off


def is_out_of_memory(exc: BaseException) -> bool:
    import torch

    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def generate_with_backoff(
    source: ImageSource,
    requests: Sequence[GenerationRequest],
    batch_size: int,
    on_images: Callable[[Sequence[GeneratedImage | RejectedImage]], None],
    warn: Callable[[str], None],
) -> None:
    """Generate ``requests`` in batches, halving the batch on out-of-memory and retrying.

    Each batch is handed to ``on_images`` once the next one has been generated, so that what
    the source still does with it (PNG encoding) runs beside the model; on any way out (the
    end, Ctrl-C, an error) the batch in hand is handed on first, so nothing made is lost.
    Raises T2IQAError when even a batch of one does not fit.
    """
    pending: list[Sequence[GeneratedImage | RejectedImage]] = []

    def hand_on() -> None:
        while pending:
            on_images(pending.pop())

    i = 0
    try:
        while i < len(requests):
            batch = list(requests[i : i + batch_size])
            try:
                images = source.generate(batch)
            except Exception as exc:
                if not is_out_of_memory(exc):
                    raise
                batch_size = backed_off(batch_size, len(batch), warn)
                continue
            hand_on()
            pending.append(images)
            i += len(batch)
    finally:
        hand_on()


def backed_off(batch_size: int, tried: int, warn: Callable[[str], None]) -> int:
    """The batch size to retry with after running out of memory at ``tried`` images."""
    _free_accelerator_memory()
    if batch_size == 1:
        raise T2IQAError(
            "out of memory even at batch size 1; try --dtype float16/bfloat16, smaller "
            "--width/--height, or a machine with more GPU memory"
        ) from None
    batch_size = max(1, batch_size // 2)
    warn(f"out of memory at batch size {tried}; retrying at batch size {batch_size}")
    return batch_size


def _free_accelerator_memory() -> None:
    import gc

    gc.collect()
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
