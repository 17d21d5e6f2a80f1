"""Which answers of a saved form no longer fit a changed case type: posted data saved under one
version (a draft) read again under the current one.

Both versions read the same posted data with the one reader (posted.py) and judge it with their
own validator. An answer no longer fits when the current version has no field for it (a field
or a row column removed), or when the current version refuses it and the old one did not (a
type, a choice, a format or a limit changed). Answers that were already wrong under the old
version are the customer's unfinished work, not a change, and are left to the normal errors.
"""
from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from casetypes import CaseType

from .caseform import read_posted

ANSWER_SHOWN = 100  # characters of a removed answer quoted back, so it can be typed elsewhere


@dataclass(frozen=True)
class Unfit:
    """Answers with no field in the current version, as (where, what was typed), and the
    problems the current version finds in answers the old one accepted."""
    removed: list
    refused: list

    def __bool__(self) -> bool:
        return bool(self.removed or self.refused)


def unfit_answers(old: CaseType, current: CaseType, formdata: MultiDict, prefix: str = "") -> Unfit:
    if old.sha256 == current.sha256:
        return Unfit([], [])
    old_document = read_posted(old, formdata, prefix)
    document = read_posted(current, formdata, prefix)
    removed = [(describe(old, path), quoted(value)) for path, value in answers(old, old_document)
               if current.spec_at(path) is None]
    accepted_before = {problem.path for problem in old.validate(old_document)}
    refused = [problem for problem in current.validate(document)
               if problem.path not in accepted_before and is_answered(document, problem.path)]
    return Unfit(removed, refused)


def answers(case_type: CaseType, value, path: tuple = ()):
    """(path, value) of every answered field: a section or a row is opened, a choice list
    (checkboxes) is one answer."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from answers(case_type, inner, path + (key,))
    elif isinstance(value, list) and has_rows(case_type, value, path):
        for index, inner in enumerate(value):
            yield from answers(case_type, inner, path + (index,))
    elif path and not is_blank(value):
        yield path, value


def has_rows(case_type: CaseType, value: list, path: tuple) -> bool:
    """A table's rows (objects) or a list whose items are fields of their own; a choice list's
    values are one answer."""
    return any(isinstance(item, (dict, list)) for item in value) or case_type.spec_at(path + (0,)) is not None


def is_blank(value) -> bool:
    return value is None or value == "" or value == [] or value is False


def is_answered(document, path: tuple) -> bool:
    """Whether the document holds a non-blank answer at `path` (a missing required field is not
    an answer that stopped fitting)."""
    value = document
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return False
    return bool(path) and not is_blank(value)


def describe(case_type: CaseType, path: tuple) -> str:
    """"Rad 2, HSA-id" — the row numbers in the path and the field's label in that version."""
    spec = case_type.spec_at(path)
    rows = [f"rad {part + 1}" for part in path if isinstance(part, int)]
    text = ", ".join(rows + [spec.label if spec else str(path[-1])])
    return text[:1].upper() + text[1:]


def quoted(value) -> str:
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    if value is True:
        text = "Ja"
    return text if len(text) <= ANSWER_SHOWN else text[:ANSWER_SHOWN - 1] + "…"
