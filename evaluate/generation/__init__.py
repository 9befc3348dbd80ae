"""Where a run's images come from: one module per source, one registry line each."""

from __future__ import annotations

from t2iqa.core.registry import LazyRegistry
from t2iqa.generation.base import ImageSource, SourceConfig

SOURCES: LazyRegistry[ImageSource] = LazyRegistry({
    "diffusers": "t2iqa.generation.diffusers_source:DiffusersSource",
    "folder": "t2iqa.generation.folder_source:FolderSource",
})  # fmt: skip


def source_for(config: SourceConfig, name: str | None = None) -> ImageSource:
    """The named source, or by default a folder import when the run gives ``images_dir``
    and the diffusers backend otherwise."""
    from t2iqa.core.errors import T2IQAError

    name = name or ("folder" if config.images_dir else "diffusers")
    if name not in SOURCES:
        raise T2IQAError(f"unknown image source {name!r}; available: {', '.join(SOURCES)}")
    return SOURCES[name].from_config(config)


__all__ = ["SOURCES", "ImageSource", "SourceConfig", "source_for"]
