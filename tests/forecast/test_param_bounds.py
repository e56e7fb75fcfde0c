"""smp, bdm and deu-compromise declare a type and bounds for every numeric parameter.

Before: ``-p smp.max_turns=1e9`` ran as asked (hours of turns), and ``bdm.converge_tol``
or ``deu-compromise.mix`` took any number. Each bound is also written in the model's page
under docs/models/.
"""

from __future__ import annotations

import pytest

from detente.errors import ModelError
from detente.forecast.registry import get_model
from tests.conftest import REPO

MODELS = ("smp", "bdm", "deu-compromise")


def _numeric(name: str) -> list[str]:
    spec = get_model(name)
    return [
        k
        for k, p in spec.params.items()
        if p.choices is None and p.effective_type() in (int, float)
    ]


@pytest.mark.parametrize("model", MODELS)
def test_every_numeric_parameter_has_a_type_and_bounds(model: str) -> None:
    spec = get_model(model)
    numeric = _numeric(model)
    assert numeric, model
    for k in numeric:
        p = spec.params[k]
        assert p.value_type in (int, float), (model, k)
        low, high = p.bounds(k)
        assert low is not None, (model, k)
        assert high is not None or k == "seed", (model, k)  # any seed >= 0 is a seed
        assert low <= p.default and (high is None or p.default <= high), (model, k)


@pytest.mark.parametrize("model", MODELS)
def test_the_models_page_states_each_bound(model: str) -> None:
    page = (REPO / "docs" / "models" / f"{model}.md").read_text(encoding="utf-8")
    for k in _numeric(model):
        low, high = get_model(model).params[k].bounds(k)
        row = next((line for line in page.splitlines() if line.startswith(f"| `{k}` |")), "")
        assert row, (model, k)
        said = f"[{low:g}, {high:g}]" if high is not None else f"≥ {low:g}"
        assert said in row, (model, k, row)


@pytest.mark.parametrize(
    ("model", "given", "says"),
    [
        ("smp", {"max_turns": 1e9}, "1000000000 is out of range"),
        ("smp", {"min_turns": 0}, "0 is out of range"),
        ("smp", {"stop_ratio": 1.5}, "1.5 is out of range"),
        ("bdm", {"rounds": 1001}, "1001 is out of range"),
        ("bdm", {"converge_tol": 2.0}, "2.0 is out of range"),
        ("bdm", {"t": -0.5}, "-0.5 is out of range"),
        ("deu-compromise", {"gamma": 11}, "11.0 is out of range"),
    ],
)
def test_out_of_range_values_are_refused_with_the_bounds(
    model: str, given: dict[str, object], says: str
) -> None:
    with pytest.raises(ModelError) as err:
        get_model(model).resolve_params(given, "--param")
    (d,) = err.value.items
    assert d.code == "param-range"
    assert says in d.message
    assert d.file == f"--param {model}.{next(iter(given))}"


@pytest.mark.parametrize(
    ("model", "given"),
    [
        ("smp", {"max_turns": 1000, "min_turns": 1, "stop_ratio": 0.0}),
        ("bdm", {"rounds": 0, "converge_tol": 1.0, "converge_rounds": 1000}),
        ("deu-compromise", {"gamma": 0, "mix": 1}),
    ],
)
def test_the_bounds_themselves_are_accepted(model: str, given: dict[str, object]) -> None:
    used = get_model(model).resolve_params(given, "--param")
    for k, v in given.items():
        assert used[k] == v
