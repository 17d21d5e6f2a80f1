"""A long case form in steps, and "Granska och skicka": which page a post leads to, what each
page shows and carries, and the fingerprint that makes "Skicka in" file exactly what was
reviewed. The steps themselves (which fields, which titles) come from the case type's hint
(casetypes/steps.py); the views only draw what this module decides.

How the answers of the other steps travel (works without JavaScript): every page posts the
whole form. The fields of the step on screen are drawn as usual; the values the browser posted
for every other field (and for the orderer block, which belongs to the first step) come back as
hidden inputs, exactly as they were posted. So there is one reader of posted data for every
step, the review page and filing — no second copy of the answers in another format to keep in
step with it — nothing typed is lost between pages, and "Spara utkast" or an expired CSRF
token see the whole form on any step. The price is page weight: the hidden inputs are the same
bytes the single page would post anyway. Everything is judged again on "Skicka in".
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from markupsafe import Markup

from app.platform.inputs import parse_database_int
from casetypes import CaseType
from casetypes.steps import Step, review_wanted, step_index_of, steps_of
from renderers.html import detail_html
from renderers.tree import Section, Tree, build_section, build_tree
from webforms.names import SEPARATOR

# Control names a field can never have: every field's HTML key starts with a letter.
STEP_FIELD = "_step"  # hidden: the step (1-based) the page was posted from
MOVE_FIELD = "_move"  # the buttons: "next", "previous", "edit:N", "file"
REVIEWED_FIELD = "_reviewed"  # hidden on the review page: the fingerprint of what it showed
RETURN_FIELD = "_granska"  # hidden: this step was opened with "Ändra", so it leads back to the review
NEXT, PREVIOUS, EDIT, FILE, REVIEW = "next", "previous", "edit", "file", "review"


@dataclass(frozen=True)
class StepPage:
    """One page of a stepped form: a step (index 0 … total-1) or the review page (index total)."""
    steps: tuple
    index: int
    review: bool
    returning: bool = False  # opened from "Granska och skicka": "Spara och granska" leads back

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def is_first(self) -> bool:
        return self.index == 0

    @property
    def is_last(self) -> bool:
        return self.index == self.total - 1

    @property
    def is_review(self) -> bool:
        return self.index >= self.total

    @property
    def step(self) -> Step:
        return self.steps[min(self.index, self.total - 1)]

    @property
    def title(self) -> str:
        return "Granska och skicka" if self.is_review else self.step.title

    def shows(self, spec) -> bool:
        return not self.is_review and spec.name in self.step.names


def steps_for(case_type: CaseType) -> tuple:
    return steps_of(case_type.schema, case_type.fields)


def stepped(case_type: CaseType) -> bool:
    return bool(steps_for(case_type))


def page_at(case_type: CaseType, index: int, returning: bool = False) -> StepPage | None:
    """The page at `index` (clamped: the review page only when the case type has one). A step
    `returning` to the review page is one the customer opened with "Ändra" there."""
    steps = steps_for(case_type)
    if not steps:
        return None
    review = review_wanted(case_type.schema, case_type.fields)
    index = max(0, min(index, len(steps) if review else len(steps) - 1))
    return StepPage(steps, index, review, returning and review and index < len(steps))


def review_page_of(case_type: CaseType) -> StepPage | None:
    """"Granska och skicka" of a stepped case type that has one; None otherwise."""
    page = page_at(case_type, len(steps_for(case_type)))
    return page if page is not None and page.is_review else None


def posted_returning(formdata) -> bool:
    return formdata.get(RETURN_FIELD) == "1"


def posted_index(case_type: CaseType, formdata) -> int:
    """The step a page was posted from; the first for anything that is not one of its numbers."""
    number = parse_database_int(formdata.get(STEP_FIELD))
    return min(max((number or 1) - 1, 0), max(len(steps_for(case_type)) - 1, 0))


def posted_page(case_type: CaseType, formdata) -> StepPage | None:
    """The step to draw again as it was posted (a row added, an expired token); None unstepped."""
    return page_at(case_type, posted_index(case_type, formdata), posted_returning(formdata))


def saved_page(case_type: CaseType, formdata) -> StepPage | None:
    """The page a set of posted answers was sent from, the review page included (it posts the
    number after the last step): where a draft reopens and an expired form is shown again."""
    number = parse_database_int(formdata.get(STEP_FIELD))
    return page_at(case_type, (number or 1) - 1, posted_returning(formdata))


def posted_move(formdata) -> tuple[str, int | None]:
    """(verb, step index) of the button pressed: ("edit", 1) for "Ändra" on step 2."""
    verb, _, target = str(formdata.get(MOVE_FIELD, NEXT)).partition(":")
    number = parse_database_int(target)
    return verb, None if number is None else number - 1


def files_now(case_type: CaseType, formdata) -> bool:
    """Whether this post asks to file: always for a one-page form, "Skicka in" for a stepped one."""
    return not stepped(case_type) or posted_move(formdata)[0] == FILE


# --- where a post leads ----------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """The page a post leads to, with the problems to show on it."""
    page: StepPage
    problems: tuple = ()
    orderer_problems: tuple = ()
    status: int = 200


def problems_on(page: StepPage, problems) -> tuple:
    return tuple(problem for problem in problems if step_index_of(page.steps, problem.path) == page.index)


def first_page_with(case_type: CaseType, problems, orderer_problems, returning: bool = False) -> Outcome:
    """The earliest step with a problem, showing its problems (the orderer's on the first)."""
    steps = steps_for(case_type)
    index = 0 if orderer_problems else min(step_index_of(steps, problem.path) for problem in problems)
    page = page_at(case_type, index, returning)
    return Outcome(page, problems_on(page, problems), tuple(orderer_problems) if index == 0 else (), 422)


def after_move(case_type: CaseType, formdata, problems, orderer_problems) -> Outcome:
    """Where "Nästa", "Föregående", "Ändra" or "Spara och granska" lead, given the whole
    document's judgement. "Nästa" stops on the page when its own fields have problems
    (conditions reaching into other steps included, since the whole document was judged); from
    the last step it goes to the first page with any problem, else to the review page. A step
    opened with "Ändra" stays on its way back to the review: "Spara och granska" judges the
    step's own fields first, then goes to the first page with a problem, else to the review."""
    here = posted_index(case_type, formdata)
    returning = posted_returning(formdata)
    verb, target = posted_move(formdata)
    if verb == PREVIOUS:
        return Outcome(page_at(case_type, here - 1, returning))
    if verb == EDIT and target is not None:
        return Outcome(page_at(case_type, min(target, len(steps_for(case_type)) - 1), returning=True))
    page = page_at(case_type, here, returning)
    own, own_orderer = problems_on(page, problems), tuple(orderer_problems) if page.is_first else ()
    if own or own_orderer:
        return Outcome(page, own, own_orderer, 422)
    if not page.is_last and not (verb == REVIEW and page.returning):
        return Outcome(page_at(case_type, here + 1, returning))
    if problems or orderer_problems:
        return first_page_with(case_type, problems, orderer_problems, returning)
    return Outcome(page_at(case_type, len(steps_for(case_type))))  # the review page, or the last step again without one


# --- what travels with a page ------------------------------------------------------------------

def carried_pairs(case_type: CaseType, page: StepPage, formdata, orderer_formdata, orderer_prefix: str) -> list:
    """The posted (name, value) pairs of every field this page does not draw, to go with it as
    hidden inputs: the other steps' fields, and the orderer block after the first step."""
    shown = {spec.key for spec in case_type.fields if page.shows(spec)}
    known = {spec.key for spec in case_type.fields}
    pairs = [(name, value) for name, value in formdata.items(multi=True)
             if name.split(SEPARATOR, 1)[0] in known - shown]
    if not page.is_first:
        pairs += [(name, value) for name, value in orderer_formdata.items(multi=True) if name.startswith(orderer_prefix)]
    return pairs


def fingerprint(document: dict, orderer: dict) -> str:
    """What the review page showed, in one line: "Skicka in" files only the same answers."""
    text = json.dumps([document, orderer], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def reviewed_as_posted(formdata, document: dict, orderer: dict) -> bool:
    return formdata.get(REVIEWED_FIELD) == fingerprint(document, orderer)


# --- the review page ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ReviewSection:
    """One step on "Granska och skicka": its number for "Ändra", its title, its answers."""
    number: int
    title: str
    answers: Markup


def review_sections(case_type: CaseType, orderer_type: CaseType, document: dict, orderer: dict) -> list:
    """Every answer, step by step, as the case's detail view will show it (the renderers' one
    tree): the orderer block first, in the first step."""
    sections = []
    for index, step in enumerate(steps_for(case_type)):
        fields = tuple(spec for spec in case_type.fields if spec.name in step.names)
        items = build_tree(fields, document).items
        if index == 0:
            items = (orderer_section(orderer_type, orderer), *items)
        sections.append(ReviewSection(index + 1, step.title, detail_html(Tree(items), heading_level=3)))
    return sections


def orderer_section(orderer_type: CaseType, orderer: dict) -> Section:
    return build_section(orderer_type.title, orderer_type.fields, orderer, path="/orderer")
