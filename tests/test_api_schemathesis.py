"""schemathesis against the live app, on SQLite and PostgreSQL: every operation of the served
OpenAPI document with generated valid and invalid requests (a bounded number, derandomised in
CI), with a read and a write token, on unknown case numbers and on a real filed case. Every
schemathesis check must hold: no 5xx, each status, content type, header and body as the
document says, invalid data refused and valid data accepted."""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from tests.api_helpers import api_portal, bearer, create_token, file_ovrigt_case, file_siths_case
from tests.test_attachments import PDF, upload

EXAMPLES = int(os.environ.get("API_EXAMPLES", "6"))
# Valid requests a case's state may still turn down: a version that is not the current one, a
# transition its status does not allow (409), a message that is blank once control characters
# are dropped (422). Everything else valid must be accepted.
CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {
    "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]}}})


@pytest.fixture
def portal(database_url, simulator_url):
    return api_portal(database_url, simulator_url)


def exercise(operation, token: str, failures: list, modes=tuple(GenerationMode), **fixed) -> None:
    """Each generation mode's examples through every check; the first failure of each kind kept."""
    for mode in modes:
        @given(operation.as_strategy(generation_mode=mode, **fixed))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=bool(os.environ.get("CI")),
                  suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers=bearer(token))

        try:
            run()
        except Exception as failure:  # noqa: BLE001 - schemathesis groups its findings; each is reported
            failures.append(f"{operation.label} {mode.value} {fixed}: {failure}")


def test_schemathesis_finds_no_failure(portal, customer):
    number = file_siths_case(customer)
    with_file, (file_id,) = file_ovrigt_case(customer, [upload("polisanmalan.pdf", PDF, "application/pdf")])
    real = {"number": number}
    real_file = {"number": with_file, "file_id": file_id}
    tokens = {"read": create_token(portal, "Läsaren", "read"), "write": create_token(portal, "Skrivaren", "write")}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", portal, config=CONFIG)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 7
    for operation in operations:
        if "{number}" not in operation.path:
            exercise(operation, tokens["write"], failures)
            continue
        # Random case numbers are unknown ones (404): valid ones are enough there; the real
        # case (and its real file) gets both valid and invalid requests, with each token that
        # may read it.
        fixed = real_file if "{file_id}" in operation.path else real
        exercise(operation, tokens["write"], failures, modes=(GenerationMode.POSITIVE,))
        exercise(operation, tokens["write"], failures, path_parameters=fixed)
        if operation.method.upper() == "GET":
            exercise(operation, tokens["read"], failures, path_parameters=fixed)
    assert not failures, "\n\n".join(failures)
