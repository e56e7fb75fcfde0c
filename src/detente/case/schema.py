"""JSON Schema of case files, for editors (YAML language servers) and CI."""

from __future__ import annotations

from typing import Any

from detente.case.model import Case

__all__ = ["case_json_schema"]

_ESTIMATES = ("Estimate", "Salience", "Capability", "PositionEstimate", "Credibility")


def case_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a case file.

    Estimates accept a bare number as shorthand for ``{value: number}``; pydantic's
    generated schema only shows the mapping form, so each estimate definition is
    wrapped in ``anyOf [number, mapping]`` here.
    """
    schema = Case.model_json_schema(mode="validation")
    defs = schema.get("$defs", {})
    for name in _ESTIMATES:
        if name in defs:
            obj = defs[name]
            number: dict[str, Any] = {"type": "number"}
            value = obj.get("properties", {}).get("value", {})
            for bound in ("minimum", "maximum"):
                if bound in value:
                    number[bound] = value[bound]
            defs[name] = {
                "title": obj.get("title", name),
                "description": obj.get("description", ""),
                "anyOf": [number, {k: v for k, v in obj.items() if k not in ("title",)}],
            }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "detente case file"
    return schema
