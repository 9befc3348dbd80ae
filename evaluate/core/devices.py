"""Which torch device a model runs on: one rule for the generator and every scorer."""

from __future__ import annotations

from t2iqa.core.errors import T2IQAError


def pick_device(requested: str, flag: str = "--device") -> str:
    """``auto`` picks CUDA, then Apple's MPS, then the CPU; an explicit device passes through,
    except a CUDA device on a machine without one, which is the user's error to fix
    (``flag`` names the option they set, for the message)."""
    import torch

    if requested != "auto":
        if requested.startswith("cuda") and not torch.cuda.is_available():
            raise T2IQAError(
                f"{flag} {requested} asked for, but PyTorch sees no CUDA GPU here; use auto or cpu"
            )
        return requested
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"
