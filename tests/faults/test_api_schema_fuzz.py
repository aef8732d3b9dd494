"""Schemathesis over the webapp's own /openapi.json, against a real `amphigory serve` on loopback: whatever the
schema allows (and what it does not), no answer is a 500 and every answer matches the schema. Bounded (a few
examples an operation) so the suite stays fast; the examples change with the seed, so each run explores more."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from ui_stack import Stack

pytestmark = pytest.mark.e2e

EXAMPLES = 8  # an operation: enough to reach past the validation of each, few enough to stay fast


@pytest.fixture(scope="module")
def webapp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(Path(tmp_path_factory.mktemp("schema")))
    stack.data_dir.mkdir(parents=True)
    try:
        stack.start_webapp()
        yield stack
    finally:
        stack.stop()


def cross_field_rules(case: schemathesis.Case) -> list[Any]:
    """Checks to leave out where the API has a rule JSON Schema does not state: a chosen identification needs a
    `tmdb_id` or a `musicbrainz_release_id` (either, so neither is `required`); its 422 is right."""
    if case.method.upper() == "POST" and case.path.endswith("/identification"):
        return [schemathesis.checks.positive_data_acceptance]
    # A setting's value is checked by that setting's own kind (a number, a URL, one of a few words), named by its
    # key: the schema says "a map of values", and a 422 naming each refused value is the documented answer.
    if case.method.upper() in ("PUT", "POST") and case.path.startswith("/api/settings"):
        return [schemathesis.checks.positive_data_acceptance]
    return []


def test_no_server_error_and_answers_match_the_schema(webapp: Stack) -> None:
    schema = schemathesis.openapi.from_url(f"{webapp.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(excluded_checks=cross_field_rules(case))

        check()
