from __future__ import annotations

from pathlib import Path

import pytest
import torch

from t2iqa.core.errors import Unavailable
from t2iqa.core.weights import UnsafeWeightsError, read_state_dict, state_dict_buffer


class Payload:
    """Pickles as a call to exec: loading it with weights_only=False writes the marker."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, (f"open({str(self.marker)!r}, 'w').write('ran')",))


def malicious_weights(folder: Path, name: str = "evil.pth") -> tuple[Path, Path]:
    """A weights file that runs code when unpickled, and the file that code would write."""
    marker = folder / f"{name}.ran"
    path = folder / name
    torch.save({"fc.weight": torch.zeros(2, 2), "payload": Payload(marker)}, path)
    return path, marker


def test_malicious_pickle_is_refused_and_nothing_runs(tmp_path: Path) -> None:
    path, marker = malicious_weights(tmp_path)
    with pytest.raises(
        UnsafeWeightsError, match=r"refused to load .*holds exec, which could run code"
    ):
        read_state_dict(path)
    assert not marker.exists()
    # The payload is real: the unsafe load this module avoids would have run it.
    torch.load(path, weights_only=False)
    assert marker.read_text() == "ran"


def test_tensors_load_from_pickle_and_safetensors(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    state = {"a": torch.arange(6.0).reshape(2, 3), "b": torch.ones(4, dtype=torch.int64)}
    torch.save({"state_dict": state}, tmp_path / "w.pth")
    save_file(state, str(tmp_path / "w.safetensors"))
    for name in ("w.pth", "w.safetensors"):
        loaded = read_state_dict(tmp_path / name)
        assert set(loaded) == {"a", "b"} and torch.equal(loaded["a"], state["a"])
    again = torch.load(state_dict_buffer(state), weights_only=True)
    assert torch.equal(again["b"], state["b"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a readable weights file"),
        (b"not a pickle at all", "not a readable weights file"),
        (None, "does not exist"),
    ],
)
def test_unreadable_weights_are_unavailable(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "w.pth"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(Unavailable, match=message):
        read_state_dict(path)


def test_a_tensor_that_is_not_a_state_dict_is_refused(tmp_path: Path) -> None:
    torch.save(torch.zeros(3), tmp_path / "t.pth")
    with pytest.raises(Unavailable, match="does not hold a state dict"):
        read_state_dict(tmp_path / "t.pth")
    (tmp_path / "s.safetensors").write_bytes(b"garbage")
    with pytest.raises(Unavailable, match="not a readable safetensors file"):
        read_state_dict(tmp_path / "s.safetensors")


def test_random_init_is_skipped_in_this_thread_only_and_restored() -> None:
    import threading

    from t2iqa.core.weights import without_random_init

    real = torch.nn.init.normal_
    mine, theirs = torch.zeros(4), torch.zeros(4)
    with without_random_init():
        torch.nn.init.normal_(mine)
        torch.nn.init.kaiming_uniform_(mine.view(2, 2))
        other = threading.Thread(target=torch.nn.init.normal_, args=(theirs,))
        other.start()
        other.join()
        built = torch.nn.Linear(3, 2)  # built inside, it takes the file's weights as usual
        built.load_state_dict({"weight": torch.ones(2, 3), "bias": torch.ones(2)})
    assert torch.equal(mine, torch.zeros(4))  # left as it was
    assert not torch.equal(theirs, torch.zeros(4))  # another thread draws as usual
    assert torch.nn.init.normal_ is real
    after = torch.zeros(4)
    torch.nn.init.normal_(after)
    assert not torch.equal(after, torch.zeros(4))
    assert torch.equal(built.weight, torch.ones(2, 3))
