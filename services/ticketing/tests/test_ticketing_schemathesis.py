"""Done-when: schemathesis over ticketing's OpenAPI, bounded; no request gets a 5xx.

Requests carry the admin token, so fuzzed bodies and ids reach the use cases, not just
the authentication check (``live_ticketing`` in conftest.py runs the real app under
uvicorn). Each operation's strategy is driven by hypothesis directly: schemathesis'
pytest plugin does not run under pytest 9 yet.
"""

import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

EXAMPLES_PER_OPERATION = 30


def test_no_request_gets_a_server_error(live_ticketing: Any) -> None:
    schema = schemathesis.openapi.from_url(f"{live_ticketing.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14, [op.label for op in operations]
    began = time.monotonic()
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case: Any) -> None:
            case.call_and_validate(
                headers={**live_ticketing.admin, **(case.headers or {})}, checks=[not_a_server_error]
            )

        no_server_error()
    assert time.monotonic() - began < 60, "keep the fuzzing bounded"
