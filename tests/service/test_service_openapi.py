"""schemathesis against ``/openapi.json`` of a live ``fsor serve`` (a real process on
loopback, no devices): no 5xx, every response conforms to its documented schema, status
and content type. Examples per operation stay modest so the suite stays fast."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok

from tests.service.helpers import WRITE
from tests.service.test_service_restart import Server

pytestmark = [pytest.mark.integration]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    import asyncio

    server = Server(tmp_path_factory.mktemp("openapi"), "--time-limit-s", "2")
    try:
        asyncio.run(server.ready())
        yield server
    finally:
        server.stop()


CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def test_api_conforms_to_its_openapi_document(live: Server) -> None:
    # the schemathesis pytest plugin does not load under pytest 9 yet: drive hypothesis here
    schema = schemathesis.openapi.from_url(live.url + "/openapi.json")
    ran = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()
        op = result.ok()
        if op.path == "/events":  # an endless stream
            continue

        @given(case=op.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {WRITE}"}, checks=CHECKS)

        check()
        ran.append(f"{op.method.upper()} {op.path}")
    from controller.service.table import ROUTES

    skipped = ("/events", "/openapi.json")  # schemathesis leaves out the document itself
    assert sorted(ran) == sorted(f"{r.method} {r.path}" for r in ROUTES if r.path not in skipped)


def test_the_document_is_openapi_3_1_from_the_request_schemas(live: Server) -> None:
    import asyncio

    from tests.service.test_service_restart import get

    doc = asyncio.run(get(live.url + "/openapi.json"))
    assert doc["openapi"] == "3.1.0"
    body = doc["paths"]["/workloads"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"] == "#/components/schemas/WorkloadsIn"
    wl = doc["components"]["schemas"]["WorkloadIn"]
    assert wl["additionalProperties"] is False and "origin" in wl["required"]
    assert doc["paths"]["/plans"]["post"]["responses"]["202"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method != "get":
                assert {"401", "403"} <= set(op["responses"]), (method, path)


def test_schema_file_is_stable(tmp_path: Path) -> None:
    """The document does not depend on a running service (built from the route table)."""
    from controller import __version__
    from controller.service.openapi import document
    from controller.service.table import ROUTES

    assert document(ROUTES, __version__) == document(ROUTES, __version__)
