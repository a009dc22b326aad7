"""Property-based: schemathesis sends generated requests (valid and invalid) to every operation of
the registry's OpenAPI, in-process over ASGI on a real PostgreSQL, authenticated as the admin.

It fails on any server error and on any answer that breaks the documented schema (status
codes, content types, headers, bodies). Bounded: a few examples per operation, so the whole
run stays well under a minute on a small machine.
"""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from antre_devstack.postgres import PostgresNode
from antre_platform.clock import FixedClock
from hypothesis import HealthCheck, given, settings
from registry.main import create_app
from registry.settings import Settings
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import positive_data_acceptance

from .support import ADMIN_TOKEN, NOW, registry_settings

# schemathesis' own strategies trip a Hypothesis deprecation notice; nothing in this test uses `random`.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
EXAMPLES_PER_OPERATION = 12
# "Schema-valid request rejected" is left out on purpose: the registry refuses, as 422, input
# that no JSON schema can describe (ids that point at nothing, a prefix taken at the site,
# overlapping hours, null for a field that PATCH may only omit). Every other check runs.
EXCLUDED = [positive_data_acceptance]
# Listed from the app's own OpenAPI (building the app opens no connection), one test each.
OPERATIONS = [
    (path, method.upper())
    for path, operations in create_app(Settings()).openapi()["paths"].items()
    for method in operations
]


@pytest.fixture(scope="module")
def registry_api(postgres: PostgresNode) -> Iterator[Any]:
    name = f"t_fuzz_{uuid.uuid4().hex[:8]}"
    postgres.create_database(name)
    app = create_app(registry_settings(postgres.dsn(name)), clock=FixedClock(NOW))
    # schemathesis runs the app's lifespan (pool, migrations, relay) on its own event loop thread.
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    asgi.shutdown_lifespans()


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_no_server_error_and_every_answer_fits_the_schema(
    registry_api: Any, path: str, method: str, record_property: Any
) -> None:
    operation = registry_api[path][method]
    sent = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        sent.append(case)
        case.call_and_validate(headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, excluded_checks=EXCLUDED)

    check()
    record_property("examples", len(sent))
    assert sent, "schemathesis generated no request for this operation"
