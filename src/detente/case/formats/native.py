"""detente's own case files: YAML 1.2 and JSON."""

from __future__ import annotations

import io
import json
from typing import Any

from ruamel.yaml import YAML

from detente.case.loader import parse_case_text
from detente.case.model import Case

__all__ = ["read_yaml", "to_document", "write_json", "write_yaml"]


def _simplify(node: Any) -> Any:
    """Drop empty defaults and write estimates that are only a value as bare numbers."""
    if isinstance(node, dict):
        out = {k: _simplify(v) for k, v in node.items() if v is not None and v != [] and v != {}}
        if set(out) == {"value"} and isinstance(out["value"], int | float):
            return out["value"]
        return out
    if isinstance(node, list):
        return [_simplify(v) for v in node]
    return node


def to_document(case: Case) -> dict[str, Any]:
    """The case as plain JSON-ready data, as it would be written to a file."""
    data = case.model_dump(mode="json", exclude_none=True)
    doc: dict[str, Any] = _simplify({k: v for k, v in data.items() if k != "extensions"})
    if case.extensions:
        doc["extensions"] = data["extensions"]  # kept verbatim
    return doc


def read_yaml(text: str, file: str) -> list[Case]:
    """Read a YAML 1.2 or JSON case file."""
    return [parse_case_text(text, file)]


def write_yaml(case: Case) -> str:
    """The case as a YAML 1.2 case file."""
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 2)
    yaml.default_flow_style = False
    yaml.representer.sort_base_mapping_type_on_output = False  # keep field order
    yaml.allow_unicode = True
    yaml.width = 100
    buf = io.StringIO()
    yaml.dump(to_document(case), buf)
    return buf.getvalue()


def write_json(case: Case) -> str:
    """The case as a JSON case file."""
    return json.dumps(to_document(case), indent=2, ensure_ascii=False) + "\n"
