"""The docs are complete, by test: every diagnostic code the code can emit is documented."""

from __future__ import annotations

import ast
import re

from tests.conftest import REPO


def _emitted_codes() -> set[str]:
    """Codes given as ``code="..."`` to any call, or as a case check's third argument."""
    codes: set[str] = set()
    for path in (REPO / "src" / "detente").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            for kw in node.keywords:
                if kw.arg == "code" and isinstance(kw.value, ast.Constant):
                    codes.add(str(kw.value.value))
            name = node.func.id if isinstance(node.func, ast.Name) else ""
            if name == "Finding" and len(node.args) >= 3 and isinstance(node.args[2], ast.Constant):
                codes.add(str(node.args[2].value))
    return codes


def test_the_scan_finds_the_codes_it_should() -> None:
    codes = _emitted_codes()
    assert {"unknown-actor", "yaml-syntax", "bad-param", "entry-schema"} <= codes
    assert len(codes) > 50


def test_every_diagnostic_code_is_documented() -> None:
    doc = (REPO / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z0-9]+(?:-[a-z0-9]+)+|[a-z]+)`", doc))
    missing = sorted(_emitted_codes() - documented)
    assert not missing, f"add these codes to docs/diagnostics.md: {missing}"
