"""Property-based tests generated from the OpenAPI document (schemathesis): for every
operation, requests with valid and with invalid data, sent in process to the ASGI app
with an admin token, must never get a 500 and must answer as the document says (status
code, content type, body schema). Bounded: a few examples per operation."""

from __future__ import annotations

import contextlib
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.web.admin_api.conftest import API

EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def cases_of(operation: Any, mode: GenerationMode) -> list[Any]:
    """A fixed set of examples (no database of failures: reruns are the same)."""
    found: list[Any] = []

    @settings(
        max_examples=EXAMPLES,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(operation.as_strategy(generation_mode=mode))
    def collect(case: Any) -> None:
        found.append(case)

    # Unsatisfiable: no invalid request exists (an operation without parameters).
    with contextlib.suppress(Unsatisfiable):
        collect()
    return found


async def test_no_operation_errors_or_strays_from_its_schema(
    http: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    document = (await http.get(f"{API}/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(document)
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for case in cases_of(operation, mode):
                kwargs = case.as_transport_kwargs(base_url=f"http://testserver{API}", headers=admin)
                kwargs.pop("cookies", None)
                if isinstance(kwargs.get("data"), str | bytes):
                    kwargs["content"] = kwargs.pop("data")
                try:
                    request = http.build_request(**kwargs)
                except (UnicodeEncodeError, TypeError, ValueError):
                    continue  # not even sendable (a lone surrogate in a header, say)
                answer = await http.send(request)
                sent += 1
                case.validate_response(answer, checks=CHECKS)
    assert sent > 100
