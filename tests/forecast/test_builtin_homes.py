"""``BUILTIN_HOMES`` (model name -> the module that registers it) is what the modules register.

``get_model`` imports only the home of the model asked for (issue 17, start-up); a model
added to a built-in module without an entry here would still be found (the registry then
loads every built-in module), but a wrong home would import the wrong module.
"""

from __future__ import annotations

import subprocess
import sys

from detente.forecast import available_models
from detente.forecast.registry import BUILTIN_HOMES, BUILTIN_MODULES


def test_every_builtin_model_has_its_home() -> None:
    specs = available_models()
    homes = {name: spec.fn.__module__ for name, spec in specs.items()}
    assert {n: m for n, m in homes.items() if m in BUILTIN_MODULES} == BUILTIN_HOMES


def test_get_model_imports_only_the_home_of_the_model() -> None:
    code = (
        "import sys\n"
        "from detente.forecast import get_model\n"
        "get_model('nash')\n"
        "print(sorted(m for m in sys.modules if m.startswith('detente.forecast.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(
        ["detente.forecast.closed_form", "detente.forecast.registry", "detente.forecast.run"]
    )
