"""`make fuzz`: the schema fuzz properties at scale (FUZZ_EXAMPLES, default 10 000), with
figures instead of a verdict per example: schemas tried, accepted, refused, crashes, hangs and
the slowest load. Not a test (make test runs the same properties at a few hundred examples);
exit status 1 if any crash or hang was seen."""
from __future__ import annotations

import os
import sys
import traceback

from hypothesis import HealthCheck, given, settings

from tests.schema_strategies import DOCUMENTS, FILES, HANG_SECONDS, Hang, check_report, exercise, timed_load

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10000"))


def main() -> int:
    figures = {"tried": 0, "accepted": 0, "refused": 0, "with notes": 0, "crashes": 0, "hangs": 0}
    slowest = [0.0, None]
    failures: list[str] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(files=FILES, document=DOCUMENTS)
    def run(files, document):
        figures["tried"] += sum(1 for name in files if "/" not in name)
        try:
            report, seconds = timed_load(files)
            if seconds > slowest[0]:
                slowest[:] = [seconds, files]
            if seconds > HANG_SECONDS:  # the alarm can be swallowed (in a gc callback): time tells
                raise Hang(f"{seconds:.1f} s")
            check_report(files, report)
            exercise(report, document)
        except Hang:
            figures["hangs"] += 1
            failures.append(f"HANG {files!r:.2000}")
            return
        except Exception:  # noqa: BLE001 - counted and shown, the run goes on
            figures["crashes"] += 1
            failures.append(f"CRASH {files!r:.2000}\n{traceback.format_exc(limit=6)}")
            return
        figures["accepted"] += len(report.case_types)
        figures["refused"] += len({p.file for p in report.problems if "/" not in p.file})
        figures["with notes"] += len({n.file for n in report.notes if "/" not in n.file})

    run()
    for failure in failures[:5]:
        print(failure, file=sys.stderr)
    print(f"fuzzed schema files: {figures['tried']} (examples: {EXAMPLES})")
    for name in ("accepted", "refused", "with notes", "crashes", "hangs"):
        print(f"  {name:<11} {figures[name]}")
    print(f"  slowest load {slowest[0] * 1000:.0f} ms")
    if os.environ.get("FUZZ_SHOW_SLOWEST"):
        print(f"slowest files: {slowest[1]!r:.3000}", file=sys.stderr)
    return 1 if figures["crashes"] or figures["hangs"] else 0


if __name__ == "__main__":
    sys.exit(main())
