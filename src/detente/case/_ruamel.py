"""ruamel.yaml's round-trip loader as detente reads case files: YAML 1.2, bounded, located.

Imported only when a document goes the reference way (see :mod:`detente.case.fast`), so
that reading a well-formed case file does not import ruamel.yaml.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from detente.case.limits import MAX_ALIAS_NODES, MAX_DEPTH

__all__ = ["round_trip_yaml"]


class _Constructor(RoundTripConstructor):
    """Round-trip constructor that leaves timestamps as text for pydantic to check.

    ruamel.yaml builds dates itself and raises a bare ValueError on ``2025-13-45``;
    leaving them as strings lets the date error carry its line and column.
    """


_SURROGATE = re.compile("[\ud800-\udfff]")


def _construct_text(self: _Constructor, node: Any) -> Any:
    r"""A string scalar; escaped UTF-16 surrogates are joined into their character.

    JSON writes characters outside the Basic Multilingual Plane as escaped surrogate
    pairs (``"\ud83d\ude00"``); the YAML parser decodes each half on its own. A pair is
    joined here; a lone half is no character at all and is refused with its line.
    """
    value = RoundTripConstructor.construct_yaml_str(self, node)
    if isinstance(value, str) and _SURROGATE.search(value):
        try:
            value = value.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            raise ConstructorError(
                None,
                None,
                "an escaped UTF-16 surrogate (\\ud800-\\udfff) that is not half of a pair",
                node.start_mark,
            ) from None
    return value


def _construct_number(kind: str) -> Any:
    """ruamel.yaml's int or float constructor, with its crashes turned into located errors.

    The YAML 1.2 resolver takes plain scalars such as ``-_`` (int) or ``._`` (float) for
    numbers, and the constructor then fails on them with a bare IndexError or ValueError.
    Such a scalar is refused with its line and column instead.
    """
    base = getattr(RoundTripConstructor, f"construct_yaml_{kind}")

    def construct(self: _Constructor, node: Any) -> Any:
        try:
            return base(self, node)
        except (ValueError, IndexError):
            text = str(node.value)
            digits = sys.get_int_max_str_digits()
            if sum(c.isdigit() for c in text) > digits:
                why = f"a number of more than {digits} digits (the most Python reads)"
            else:
                why = f"read as a YAML 1.2 {kind} but not a number (quote it if it is text)"
            shown = text if len(text) <= 40 else f"{text[:20]}...{text[-10:]} ({len(text)} chars)"
            raise ConstructorError(None, None, f"{shown!r}: {why}", node.start_mark) from None

    return construct


_Constructor.add_constructor("tag:yaml.org,2002:int", _construct_number("int"))
_Constructor.add_constructor("tag:yaml.org,2002:float", _construct_number("float"))
_Constructor.add_constructor("tag:yaml.org,2002:str", _construct_text)
_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _construct_text)


class _BoundedComposer(Composer):
    """Composer that refuses recursive aliases and bounds what aliases expand to.

    ruamel.yaml keeps one node per anchor and returns it for every alias, so loading
    a bomb is cheap; the blow-up happens later, when validation walks the expanded
    tree. Counting here, while composing, refuses the bomb before anything walks it:
    the nodes aliases add (:data:`MAX_ALIAS_NODES`) and the depth an alias reaches
    once expanded (:data:`MAX_DEPTH`, as for nesting written out).
    """

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader=loader)
        self._measured: dict[int, tuple[int, int]] = {}
        self._added = 0
        self._events = 0
        self._alias_mark: Any = None

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._events += 1
        if self.parser.check_event(AliasEvent):
            self._alias_mark = self.parser.peek_event().start_mark
        return super().compose_node(parent, index)

    def compose_mapping_node(self, anchor: Any) -> Any:
        node = super().compose_mapping_node(anchor)
        for key, _ in node.value:
            if not isinstance(key, ScalarNode):
                # ruamel would fail later with a bare TypeError (unhashable key)
                raise ComposerError(
                    None, None, "a mapping key must be text, not a list or mapping", key.start_mark
                )
        return node

    def _measure(self, node: Node) -> tuple[int, int]:
        """(nodes, depth) of ``node`` with every alias inside it expanded (memoised).

        Recursion stops at nodes measured before (every alias target is), so it
        goes no deeper than the nesting written in the file.
        """
        known = self._measured.get(id(node))
        if known is not None:
            return known
        children: list[Node] = []
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        size, depth = 1, 0
        for child in children:
            s, d = self._measure(child)
            size += s
            depth = max(depth, d)
        result = (size, depth + 1)
        self._measured[id(node)] = result
        return result

    def return_alias(self, a: Any) -> Any:
        mark = self._alias_mark or a.start_mark
        if isinstance(a, SequenceNode | MappingNode) and a.end_mark is None:
            raise ComposerError(
                None,
                None,
                "recursive alias: it refers to a mapping or list that contains it",
                mark,
            )
        size, depth = self._measure(a)
        self._added += size
        budget = max(MAX_ALIAS_NODES, self._events)
        if self._added > budget:
            raise ComposerError(
                None,
                None,
                f"aliases expand the document by more than {budget} nodes (an alias bomb?)",
                mark,
            )
        if self.depth + depth > MAX_DEPTH:
            raise ComposerError(None, None, "maximum depth exceeded through an alias", mark)
        return a


def round_trip_yaml() -> YAML:
    """A round-trip YAML 1.2 loader with the bounds and constructors above."""
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.Composer = _BoundedComposer
    yaml.version = (1, 2)
    yaml.allow_duplicate_keys = False
    yaml.max_depth = MAX_DEPTH
    return yaml
