"""API fuzzing with schemathesis against the served OpenAPI 3.1 document.

Every operation is called with generated inputs, as an analyst with a write token (so the
server goes past authentication): no 5xx, and no response whose status, content type or
body the document does not describe.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.web.conftest import Served, serve

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed(
    tmp_path_factory: pytest.TempPathFactory, istanbul_case_path: object
) -> Iterator[Served]:
    s = serve(tmp_path_factory.mktemp("fuzz") / "workspace", istanbul_case_path)  # type: ignore[arg-type]
    try:
        yield s
    finally:
        s.stop()


def test_openapi_document_is_3_1_and_names_every_operation(fuzzed: Served) -> None:
    doc = fuzzed.anon().get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    assert all(p.startswith("/api/v1/") for p in doc["paths"])
    ops = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    from tests.web.test_web_roles import ENDPOINTS

    documented = {k for k in ENDPOINTS if k[1].startswith("/api/v1/") and "openapi" not in k[1]}
    assert ops == documented
    assert doc["paths"]["/api/v1/login"]["post"]["security"] == []


def test_fuzz_every_operation(fuzzed: Served) -> None:
    token = (
        fuzzed.client("ana")
        .post("/api/v1/tokens", json={"name": "fuzz", "scope": "write"})
        .json()["token"]
    )
    schema = schemathesis.openapi.from_url(fuzzed.url + "/api/v1/openapi.json")
    for result in schema.get_all_operations():
        op = result.ok()
        # Logout is harmless with a token (it ends sessions only).
        strategy = op.as_strategy()

        @settings(
            max_examples=8,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,
        )
        @given(case=strategy)
        def run(case: schemathesis.Case) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            response = case.call(base_url=fuzzed.url, headers=headers)
            case.validate_response(response, checks=CHECKS)

        run()
