"""Steps and the review page of a case type: which top-level fields each page of a long form
shows, under what title, whether a "Granska och skicka" page comes before filing, and the
checks `forms check` runs on the hints that say so.

The dialect: `"x-ui": {"steps": [{"title": "…", "fields": ["kontakt"]}, …], "review": true}` at
the file's root. Fields no step names form a last step of their own; a step shows its fields in
the order of `properties` (the display order everywhere else, the detail view included). Review
is on by default for a case type with steps and off otherwise.

Pure: reads a schema and its field tree, imports no Flask, peewee or WTForms.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .dialect import HINT_KEYWORD
from .metacheck import shorten

REST_TITLE = "Övriga uppgifter"  # the last step, of the fields no step names
FORM_WIDE = ()  # the path of a problem about the document as a whole


@dataclass(frozen=True)
class Step:
    title: str
    names: tuple  # top-level property names, in display order
    pointer: str = ""  # where the hint defines it ("" for the step of unlisted fields)

    def holds(self, path: tuple) -> bool:
        """Whether a document path is an answer of this step."""
        return bool(path) and path[0] in self.names


def root_hints(schema: dict) -> dict:
    hints = schema.get(HINT_KEYWORD) if isinstance(schema, dict) else None
    return hints if isinstance(hints, dict) else {}


def declared_steps(schema: dict) -> list:
    """The steps hint as written, when it is a list (the meta-schema judges its shape)."""
    steps = root_hints(schema).get("steps")
    return steps if isinstance(steps, list) else []


def listed_names(entry) -> list:
    fields = entry.get("fields") if isinstance(entry, dict) else None
    return [name for name in fields if isinstance(name, str)] if isinstance(fields, list) else []


def step_title(entry) -> str:
    title = entry.get("title") if isinstance(entry, dict) else None
    return title.strip() if isinstance(title, str) else ""


def steps_of(schema: dict, fields: tuple) -> tuple[Step, ...]:
    """The pages of the form, in order; () for a case type without steps (one page). Names the
    fields do not have are left out here (`forms check` refuses them), and so is a step left
    with nothing to show, so a page is never empty."""
    order = [spec.name for spec in fields]
    taken: set = set()
    steps = []
    for index, entry in enumerate(declared_steps(schema)):
        wanted = set(listed_names(entry)) - taken
        names = tuple(name for name in order if name in wanted)
        taken |= set(names)
        if names:
            steps.append(Step(step_title(entry) or f"Steg {index + 1}", names, f"/{HINT_KEYWORD}/steps/{index}"))
    rest = tuple(name for name in order if name not in taken)
    if steps and rest:
        steps.append(Step(REST_TITLE, rest))
    return tuple(steps)


def review_wanted(schema: dict, fields: tuple) -> bool:
    """Whether filing goes through "Granska och skicka": as the hint says, else when there are steps."""
    review = root_hints(schema).get("review")
    return review if isinstance(review, bool) else bool(steps_of(schema, fields))


def step_index_of(steps: tuple, path: tuple) -> int:
    """The step whose page shows the answer at `path`; a problem with the whole document (or a
    key no page shows) belongs to the last step, where the form is judged as a whole."""
    return next((index for index, step in enumerate(steps) if step.holds(path)), len(steps) - 1)


# --- what `forms check` says about the hints -------------------------------------------------

def step_problems(schema: dict, fields: tuple) -> Iterable:
    """(pointer, message) for each step naming an unknown field, a field another step already
    has, a step with no fields, and a step without a title."""
    known = {spec.name for spec in fields}
    seen: dict = {}
    for index, entry in enumerate(declared_steps(schema)):
        pointer = f"/{HINT_KEYWORD}/steps/{index}"
        if not isinstance(entry, dict):
            continue  # the meta-schema says what is wrong with it
        if not step_title(entry):
            yield pointer, "Steget saknar rubrik: ange \"title\", till exempel \"Beställare och kontakt\"."
        if not listed_names(entry):
            yield pointer, "Steget har inga fält: ange minst ett fält under \"fields\"."
        for position, name in enumerate(listed_names(entry)):
            where = f"{pointer}/fields/{position}"
            if name not in known:
                yield where, f"Fältet {shorten(name)} finns inte i properties; ett steg kan bara visa ärendetypens egna fält."
            elif name in seen:
                yield where, f"Fältet {shorten(name)} står redan i steg {seen[name] + 1}; varje fält hör till ett enda steg."
            else:
                seen[name] = index


def step_notes(schema: dict, fields: tuple) -> list:
    """(pointer, message) for what the portal assumes about steps: a last step of the fields no
    step names, and a review page when the file does not say."""
    steps = steps_of(schema, fields)
    if not steps:
        return []
    notes = []
    if not steps[-1].pointer:
        names = ", ".join(shorten(name, 30) for name in steps[-1].names)
        notes.append((f"/{HINT_KEYWORD}/steps", f"Fälten {names} står inte i något steg; de visas i ett sista "
                                                f"steg, \"{REST_TITLE}\"."))
    if "review" not in root_hints(schema):
        notes.append((f"/{HINT_KEYWORD}", "review saknas; sidan \"Granska och skicka\" antogs (standard för "
                                          "ärendetyper med steg)."))
    return notes
