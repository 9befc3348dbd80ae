"""YAML documents built straight from libyaml's event stream.

PyYAML's safe loader first composes a tree of node objects (each with two position marks),
resolves every plain scalar's type in Python, then constructs values from the tree: for a suite
of 100,000 prompts that is ~10 s and ~400 MiB. Building values from the parser's events needs
no tree: ~4 s and the memory of the values alone. Same results as ``yaml.load(...,
CSafeLoader)``, which a test checks; anything outside the plain subset (explicit tags such as
``!!python/object``, merge keys ``<<``, keys that are lists or mappings) raises
``NotPlain`` and the caller loads the document the standard way, which accepts or refuses it
exactly as before.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
STR = "tag:yaml.org,2002:str"
_RESOLVERS = Resolver.yaml_implicit_resolvers  # first character -> [(tag, regexp)]
_SCALAR_TAGS = {
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp",
}  # fmt: skip
_CONSTRUCT = SafeConstructor()


class NotPlain(Exception):
    """The document uses YAML beyond the plain subset; load it the standard way."""


def _plain_tag(value: str) -> str:
    """The implicit tag of a plain (unquoted) scalar, by the safe resolver's own rules."""
    for tag, regexp in (*_RESOLVERS.get(value[:1], ()), *_RESOLVERS.get(None, ())):
        if regexp.match(value):
            return tag
    return STR


def _scalar(event: ScalarEvent) -> Any:
    if event.tag not in (None, "!"):
        raise NotPlain(event.tag)
    if not event.implicit[0]:  # quoted, or a block scalar: a string as written
        return event.value
    tag = _plain_tag(event.value)
    if tag == STR:
        return event.value
    if tag not in _SCALAR_TAGS:  # merge keys, "=" values: the standard loader's business
        raise NotPlain(tag)
    return _CONSTRUCT.yaml_constructors[tag](_CONSTRUCT, ScalarNode(tag, event.value))


class _Mapping:
    """A mapping being built, and the key waiting for its value."""

    __slots__ = ("has_key", "key", "value")

    def __init__(self) -> None:
        self.value: dict[Any, Any] = {}
        self.key: Any = None
        self.has_key = False


def _add(container: list[Any] | _Mapping, value: Any) -> None:
    if isinstance(container, list):
        container.append(value)
    elif not container.has_key:
        if isinstance(value, dict | list):
            raise NotPlain("a key that is a mapping or a list")
        container.key, container.has_key = value, True
    else:
        container.value[container.key] = value
        container.has_key = False


def load_plain(text: str) -> Any:
    """The first document of ``text`` (None when empty), or ``NotPlain``."""
    anchors: dict[str, Any] = {}
    stack: list[list[Any] | _Mapping] = []  # the containers being built, innermost last
    root, documents = None, 0
    for event in yaml.parse(text, Loader=PARSER):
        if isinstance(event, DocumentStartEvent):
            documents += 1
            if documents > 1:  # the standard loader refuses this; let it say so
                raise NotPlain("several documents")
            continue
        if isinstance(event, StreamStartEvent | DocumentEndEvent):
            continue
        if isinstance(event, StreamEndEvent):
            return root
        if isinstance(event, MappingStartEvent | SequenceStartEvent):
            if event.tag not in (None, "!"):
                raise NotPlain(event.tag)
            opened: list[Any] | _Mapping = (
                _Mapping() if isinstance(event, MappingStartEvent) else []
            )
            if event.anchor:
                anchors[event.anchor] = opened.value if isinstance(opened, _Mapping) else opened
            stack.append(opened)
            continue
        if isinstance(event, MappingEndEvent | SequenceEndEvent):
            closed = stack.pop()
            value = closed.value if isinstance(closed, _Mapping) else closed
        elif isinstance(event, AliasEvent):
            value = anchors[event.anchor]
        elif isinstance(event, ScalarEvent):
            value = _scalar(event)
            if event.anchor:
                anchors[event.anchor] = value
        else:
            raise NotPlain(type(event).__name__)
        if stack:
            _add(stack[-1], value)
        else:
            root = value  # the document's root is complete
    return root
