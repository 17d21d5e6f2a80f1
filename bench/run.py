"""Schema-driven forms against a hand-written WTForms form of the same fields, same run.

Prints, for the SITHS order with 1, 10 and 100 rows, the time to build + render the form and
to bind + validate a posted order, as a ratio ours / hand-written (1.00 = no overhead).
"bind+validate" is the portal's path for a submission (posted data read straight into the
document and judged); "…via WTForms" binds the full WTForms tree first, as a re-render does.
"""
from __future__ import annotations

import statistics
import tempfile
import time

from flask import current_app
from stdnum import luhn

from app import create_app
from app.cases.types import case_types
from bench.handwritten import TEMPLATE, SithsOrder
from webforms import bind, judge
from webforms.caseform import to_formdata

OURS_TEMPLATE = """{% from "forms/case_form.html" import case_form %}{{ case_form(caseform, "/", "Skicka") }}"""
ROWS = (1, 10, 100)


def test_personnummer(index: int) -> str:
    """A made-up, Luhn-valid number per row, so no check is answered from a cache."""
    body = f"{800101 + index % 28:06d}{index % 999 + 1:03d}"
    return "19" + body + luhn.calc_check_digit(body)


def order(rows: int) -> dict:
    offices = ("uppsala", "stockholm", "malmo")
    return {"personer": [
        {"namn": f"Person {index}", "personnummer": test_personnummer(index), "epost": f"person{index}@example.se",
         "ovrig_information": "Ny anställd", "kortutlamningskontor": offices[index % 3], "eget_kortkontor": False}
        for index in range(rows)]}


def loops_for(func) -> int:
    """How many calls make one timed run of at least 50 ms."""
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            func()
        if time.perf_counter() - start > 0.05:
            return loops
        loops *= 2


def timed(func, loops: int) -> float:
    start = time.perf_counter()
    for _ in range(loops):
        func()
    return (time.perf_counter() - start) / loops


def paired(ours, hand, repeat: int = 11) -> tuple[float, float]:
    """Median seconds per call of each, measured alternately so a busy moment of the machine
    lands on both sides rather than on one."""
    loops = (loops_for(ours), loops_for(hand))
    runs = [(timed(ours, loops[0]), timed(hand, loops[1])) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def measure(case_type, rows: int) -> dict:
    formdata = to_formdata(case_type.fields, order(rows))
    ours_template = current_app.jinja_env.from_string(OURS_TEMPLATE)
    hand_template = current_app.jinja_env.from_string(TEMPLATE)

    def ours_render():
        ours_template.render(caseform=bind(case_type, formdata))

    def hand_render():
        hand_template.render(form=SithsOrder(formdata=formdata))

    def ours_validate():
        # What a valid submission costs in the view: read the posted data and judge it.
        assert judge(case_type, formdata)[1] == []

    def ours_bound_validate():
        assert bind(case_type, formdata).validate()

    def hand_validate():
        assert SithsOrder(formdata=formdata).validate()

    return {
        "build+render": paired(ours_render, hand_render),
        "bind+validate": paired(ours_validate, hand_validate),
        "…via WTForms": paired(ours_bound_validate, hand_validate),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"env": "testing", "secret_key": "bench-" + "x" * 40,
                          "database_url": f"sqlite:///{folder}/bench.db"})
        with app.test_request_context("/"):
            case_type = case_types()["bestallning-av-siths-kort"]
            print(f"{'rows':>5} {'measure':<14} {'ours ms':>9} {'hand ms':>9} {'ratio':>6}")
            for rows in ROWS:
                for name, (ours, hand) in measure(case_type, rows).items():
                    print(f"{rows:>5} {name:<14} {ours * 1000:>9.3f} {hand * 1000:>9.3f} {ours / hand:>6.2f}")


if __name__ == "__main__":
    main()
