"""The front door stays small and deliberate."""

import detente


def test_public_names() -> None:
    assert sorted(detente.__all__) == sorted(
        [
            "Case",
            "DetenteError",
            "Forecast",
            "__version__",
            "available_models",
            "forecast",
            "load_case",
            "read_cases",
        ]
    )
    for name in detente.__all__:
        assert hasattr(detente, name)


def test_builtin_models_are_registered_with_metadata() -> None:
    models = detente.available_models()
    for name in ("compromise", "median", "nash"):
        meta = models[name].metadata()
        assert meta["reference"] and meta["summary"]
    assert models["nash"].needs_status_quo
