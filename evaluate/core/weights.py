"""Reading a weights file as tensors only, never as code.

A ``.pth``/``.pt``/``.bin`` file is a Python pickle: ``torch.load(..., weights_only=False)``
runs whatever the file says (the CVE class behind torch's 2.6 default change). Every weights
file t2iqa opens itself goes through ``read_state_dict``: safetensors, or a pickle restricted
to tensors and plain containers (``weights_only=True``). A file that needs more is refused
with a sentence saying why; nothing in it runs.
"""

from __future__ import annotations

import contextlib
import io
import pickle
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from t2iqa.core.errors import Unavailable


class UnsafeWeightsError(Unavailable):
    """The weights file holds Python objects besides tensors; it was not loaded."""


def read_state_dict(path: str | Path) -> dict[str, Any]:
    """The tensors of a weights file (name -> tensor), loaded without running any code."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise Unavailable(f"weights file {path} does not exist")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            return dict(load_file(str(path), device="cpu"))
        except Exception as exc:  # safetensors raises its own error types
            raise Unavailable(f"{path} is not a readable safetensors file: {exc}") from None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # torch names what it would not build: "Unsupported global: GLOBAL exec ...".
        found = re.search(r"GLOBAL (\S+)", str(exc))
        if found is None:  # not a pickle torch can read at all
            raise Unavailable(f"{path} is not a readable weights file") from None
        raise UnsafeWeightsError(
            f"refused to load {path}: besides tensors it holds {found.group(1)}, which could "
            "run code when loaded. Use a file from the official source, or convert a file "
            "you trust to safetensors"
        ) from None
    except (OSError, RuntimeError, EOFError, ValueError) as exc:
        raise Unavailable(f"{path} is not a readable weights file: {exc}") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise Unavailable(f"{path} does not hold a state dict (names mapped to tensors)")
    return state


def state_dict_buffer(state: dict[str, Any]) -> io.BytesIO:
    """A state dict serialised in memory, for libraries that insist on calling
    ``torch.load`` themselves: what they load is tensors this process has already checked."""
    import torch

    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    return buffer


_INIT_LOCK = threading.RLock()


@contextlib.contextmanager
def without_random_init() -> Iterator[None]:
    """Build networks in this thread without drawing their random initial weights.

    Only for constructors whose every weight is then loaded from a file with a strict
    ``load_state_dict`` (a weight the file lacks is an error there, so none is left as
    uninitialised memory). EasyOCR's detector builds a whole VGG16-BN, its unused 102 M
    parameter classifier included, and draws every weight before loading the file over
    them: its reader loads in 0.25 s instead of 1.47 on one thread (speed_loads). The
    draws are skipped as ``transformers`` skips them (``torch.nn.init``'s in-place
    initialisers made no-ops); other threads keep the real ones, and one thread at a time
    builds under this context.
    """
    import torch

    owner = threading.get_ident()
    init = torch.nn.init
    names = [n for n in dir(init) if n.endswith("_") and not n.startswith("_")]

    def skipped(real: Any) -> Any:
        def initialise(tensor: Any, *args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() == owner:
                return tensor
            return real(tensor, *args, **kwargs)

        return initialise

    with _INIT_LOCK:
        saved = {name: getattr(init, name) for name in names}
        for name, real in saved.items():
            setattr(init, name, skipped(real))
        try:
            yield
        finally:
            for name, real in saved.items():
                setattr(init, name, real)
