"""Schema-driven forms against a hand-written WTForms form of the same fields, same run.

Prints, for the SITHS order with 1, 10 and 100 rows, the time to build + render the form and
to bind + validate a posted order, as a ratio ours / hand-written (1.00 = no overhead).
"""
from __future__ import annotations

import statistics
import tempfile
import time

from flask import current_app
from stdnum import luhn

from app import create_app
from app.forms_registry import case_types
from app.webforms import bind
from app.webforms.caseform import to_formdata
from bench.handwritten import TEMPLATE, SithsOrder

OURS_TEMPLATE = """{% from "forms/case_form.html" import case_form %}{{ case_form(caseform, "/", "Skicka") }}"""
ROWS = (1, 10, 100)


def test_personnummer(index: int) -> str:
    """A made-up, Luhn-valid number per row, so no check is answered from a cache."""
    body = f"{800101 + index % 28:06d}{index % 1000:03d}"
    return "19" + body + luhn.calc_check_digit(body)


def order(rows: int) -> dict:
    offices = ("uppsala", "stockholm", "malmo")
    return {"personer": [
        {"namn": f"Person {index}", "personnummer": test_personnummer(index), "epost": f"person{index}@example.se",
         "ovrig_information": "Ny anställd", "kortutlamningskontor": offices[index % 3], "eget_kortkontor": False}
        for index in range(rows)]}


def best_of(func, repeat: int = 7) -> float:
    """The median of the best runs: robust against a busy second core."""
    runs = []
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            func()
        elapsed = time.perf_counter() - start
        if elapsed > 0.05:
            break
        loops *= 2
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(loops):
            func()
        runs.append((time.perf_counter() - start) / loops)
    return statistics.median(sorted(runs)[: max(3, repeat // 2)])


def measure(case_type, rows: int) -> dict:
    formdata = to_formdata(case_type.fields, order(rows))
    ours_template = current_app.jinja_env.from_string(OURS_TEMPLATE)
    hand_template = current_app.jinja_env.from_string(TEMPLATE)

    def ours_render():
        ours_template.render(caseform=bind(case_type, formdata))

    def hand_render():
        hand_template.render(form=SithsOrder(formdata=formdata))

    def ours_validate():
        assert bind(case_type, formdata).validate()

    def hand_validate():
        assert SithsOrder(formdata=formdata).validate()

    return {
        "build+render": (best_of(ours_render), best_of(hand_render)),
        "bind+validate": (best_of(ours_validate), best_of(hand_validate)),
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
