"""detente's own case files: YAML 1.2 and JSON."""

from __future__ import annotations

import io
import json
from typing import Any

from detente.case.loader import validate_case_text
from detente.case.model import Case
from detente.errors import CaseError, Diagnostic

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


def read_yaml(text: str, file: str, warnings: list[Diagnostic] | None = None) -> list[Case]:
    """Read a YAML 1.2 or JSON case file (its warnings go to ``warnings``).

    Raises:
        CaseError: With every problem, located.
    """
    case, diags = validate_case_text(text, file)
    if case is None:
        errors = [d for d in diags if d.severity == "error"]
        raise CaseError(f"{file}: {len(errors)} error(s); the case was not loaded", diags)
    if warnings is not None:
        warnings.extend(d for d in diags if d.severity != "error")
    return [case]


# Words that YAML 1.1 readers (PyYAML and many editors) turn into booleans or null.
# YAML 1.2 keeps them as text, but we quote them so that every reader agrees.
_YAML11_WORDS = frozenset(["y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"])


def _represent_str(rep: Any, data: str) -> Any:
    style = "'" if data.lower() in _YAML11_WORDS else None
    return rep.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def write_yaml(case: Case) -> str:
    """The case as a YAML 1.2 case file."""
    # ruamel.yaml is imported here, not on import: reading a case does not need it
    from ruamel.yaml import YAML
    from ruamel.yaml.representer import SafeRepresenter

    class _Representer(SafeRepresenter):
        """Safe representer that quotes strings a YAML 1.1 reader would misread."""

    _Representer.add_representer(str, _represent_str)
    yaml = YAML(typ="safe", pure=True)
    yaml.Representer = _Representer
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
