"""Property: random schema-shaped JSON never makes the loader raise or hang; every case-type
file is loaded or refused with Swedish problems; an accepted case type judges any document,
builds its form and judges posted data without raising.
`make fuzz` runs the same properties with FUZZ_EXAMPLES (default 10 000) and prints figures."""
import os

from hypothesis import HealthCheck, given, settings

from tests.schema_strategies import DOCUMENTS, FILES, check_report, exercise, timed_load

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(files=FILES, document=DOCUMENTS)
def test_the_loader_answers_every_file(files, document):
    report, _ = timed_load(files)
    check_report(files, report)
    exercise(report, document)
