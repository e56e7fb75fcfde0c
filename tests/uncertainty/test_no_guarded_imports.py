"""detente's own modules are imported plainly: a broken module fails loudly."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import detente.uncertainty._models as models
import detente.uncertainty._verdicts as verdicts

SRC = Path(__file__).resolve().parents[2] / "src" / "detente"
TESTS = Path(__file__).resolve().parents[1]


def _guarded_own_imports(path: Path) -> list[str]:
    """``try: import detente...`` / ``importlib.import_module("detente...")`` in a try."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Try):
            continue
        names = {ast.unparse(h.type) for h in node.handlers if h.type is not None}
        if not (names & {"ImportError", "ModuleNotFoundError", "(ImportError, AttributeError)"}):
            continue
        for inner in ast.walk(ast.Module(body=node.body, type_ignores=[])):
            if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith("detente"):
                found.append(f"{path.name}:{inner.lineno}")
            if isinstance(inner, ast.Import) and any(
                a.name.startswith("detente") for a in inner.names
            ):
                found.append(f"{path.name}:{inner.lineno}")
            if isinstance(inner, ast.Call) and ast.unparse(inner.func).endswith("import_module"):
                arg = inner.args[0] if inner.args else None
                if isinstance(arg, ast.Constant) and str(arg.value).startswith("detente"):
                    found.append(f"{path.name}:{inner.lineno}")
    return found


@pytest.mark.parametrize(
    "path",
    sorted([*(SRC / "uncertainty").glob("*.py"), *(SRC / "report").rglob("*.py")])
    + sorted((SRC / "pipeline").glob("*.py")),
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_no_guarded_import_of_detente_modules(path: Path) -> None:
    assert _guarded_own_imports(path) == []


def test_tests_do_not_skip_when_a_sibling_module_is_missing() -> None:
    for path in [*(TESTS / "uncertainty").glob("*.py"), *(TESTS / "report").glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert "importorskip(" + '"detente' not in text, path.name


def test_the_adapters_always_give_a_function() -> None:
    assert callable(verdicts.verdict_function())
    assert callable(verdicts.verdict_from_run_function())
    assert verdicts.VERDICTS == ("deadlock", "compromise_expected", "agreement_likely")
    assert {"bdm", "smp"} <= set(models.ensure_registered())
    assert models.default_models()[-1] == "bdm"
