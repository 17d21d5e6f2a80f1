"""What the corpus tests share: a forms folder serving the accepted corpus schemas, documents a
person could type (generated from a schema), one answer broken on purpose, and reading the
served page as a browser would (a real HTML5 parser: WeasyPrint's tinyhtml5) to find the
message shown next to a field."""
from __future__ import annotations

import re
import shutil
from datetime import date, datetime, time, timezone
from pathlib import Path

import tinyhtml5
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from stdnum import luhn
from werkzeug.datastructures import MultiDict

from app.api.openapi import as_component
from casetypes.spec import walk
from webforms.caseform import defaults_of, to_formdata

CONTROLS = ("input", "select", "textarea")
UNLABELLED_TYPES = ("hidden", "submit", "button", "reset")
SENTINEL = "sentinel-9f3a"  # a value no schema default has, to find the name a field posts under


# --- the forms folder ------------------------------------------------------------------------

def served_folder(folder: Path, outcomes) -> Path:
    """A forms folder holding every accepted corpus schema under the slug it was loaded with."""
    folder.mkdir(parents=True, exist_ok=True)
    for outcome in outcomes:
        shutil.copyfile(outcome.path, folder / f"{outcome.slug}.json")
    return folder


# --- documents a person could type -------------------------------------------------------------

@st.composite
def personnummer(draw):
    born = draw(st.dates(min_value=date(1920, 1, 1), max_value=date(2020, 12, 31)))
    body = f"{born:%y%m%d}{draw(st.integers(0, 999)):03d}"
    return f"{born.year // 100}{body}{luhn.calc_check_digit(body)}"


@st.composite
def organisationsnummer(draw):
    body = f"{draw(st.integers(1, 9))}{draw(st.integers(0, 9))}{draw(st.integers(2, 9))}{draw(st.integers(0, 999999)):06d}"
    number = body + luhn.calc_check_digit(body)
    return f"{number[:6]}-{number[6:]}"


def plain_text(pattern: str):
    return st.from_regex(pattern, fullmatch=True)


# The spellings a person types (and a browser's date input sends) for each format; the
# standard ones are overridden because hypothesis-jsonschema otherwise explores every corner
# of RFC 3339 and RFC 5322, which is the format checkers' business, not a form's.
TYPED_FORMATS = {
    "email": plain_text(r"[a-z]{1,10}\.[a-z]{1,10}@[a-z]{2,10}\.se"),
    "date": st.dates(date(1950, 1, 1), date(2035, 12, 31)).map(date.isoformat),
    "date-time": st.datetimes(datetime(1990, 1, 1), datetime(2035, 12, 31), timezones=st.just(timezone.utc))
    .map(lambda moment: moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")),
    "time": st.times().map(lambda moment: time(moment.hour, moment.minute, moment.second).isoformat()),
    "uri": plain_text(r"https://[a-z]{3,10}\.se/[a-z]{0,8}"),
    "uri-reference": plain_text(r"https://[a-z]{3,10}\.se/[a-z]{0,8}"),
    "personnummer": personnummer(),
    "organisationsnummer": organisationsnummer(),
    "postnummer": plain_text(r"[1-9][0-9]{2} [0-9]{2}"),
    "telefonnummer": plain_text(r"070-[1-9][0-9]{2} [0-9]{2} [0-9]{2}"),
    "hsa-id": plain_text(r"SE2321000016-[1-9][0-9]{3}"),
    # formats the corpus uses that are not JSON Schema's own; harmless if the engine drops them
    "color": plain_text(r"#[0-9a-f]{6}"),
    "password": plain_text(r"[a-z]{8,12}"),
    "data-url": st.just("data:text/plain;base64,SGVq"),
    "decimal-number": plain_text(r"[1-9][0-9]{0,3}"),
}
TEXT_LETTERS = "a-zåäö"
NUMBER_BOUND = 10**6


def typed_string(node: dict) -> str:
    """A pattern for free text of the allowed length, in letters a person types."""
    shortest = max(node.get("minLength", 1), 1)
    longest = min(node.get("maxLength", shortest + 12), shortest + 12)
    return f"^[{TEXT_LETTERS}]{{{shortest},{longest}}}$"


def types_of(node: dict) -> list:
    """The JSON types a subschema names (none when "type" is, say, a property called type)."""
    kinds = node.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return [kind for kind in kinds if isinstance(kind, str)]


CONSTRAINING = ("enum", "const", "format", "pattern", "anyOf", "oneOf", "allOf", "not", "if", "$ref")


def is_free_text(node: dict) -> bool:
    """A string nothing else constrains (no choices, format, pattern or combination)."""
    return "string" in types_of(node) and not any(key in node for key in CONSTRAINING)


def typed(node):
    """The schema narrowed to what a person types: free text in letters, numbers of a sensible
    size. Every document it allows is valid under the original schema (it only adds bounds)."""
    if isinstance(node, list):
        return [typed(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: value if key in ("enum", "const", "default", "examples") else typed(value)
              for key, value in node.items()}
    if is_free_text(node):
        result["pattern"] = typed_string(node)
    if {"number", "integer"} & set(types_of(node)):
        if "minimum" not in node and "exclusiveMinimum" not in node:
            result["minimum"] = -NUMBER_BOUND
        if "maximum" not in node and "exclusiveMaximum" not in node:
            result["maximum"] = NUMBER_BOUND
    return result


# Valid documents picked by hand where hypothesis-jsonschema cannot find any (it gives up only
# after a long search): properties that exist only in if/then branches, the object closed by
# unevaluatedProperties.
VALID_BY_HAND = {
    "rjsf-if-then-else": [{"animal": "Cat", "food": "meat"}, {"animal": "Fish", "food": "worms", "water": "lake"}],
}


def one_document(schema: dict) -> dict:
    """The bundle with every `$ref` written as a pointer into itself: generators resolve
    references within one document only (schemathesis, once imported, replaces
    hypothesis-jsonschema's resolver with one that does not follow `$id`s)."""
    return as_component(schema, "")


def typed_documents(case_type):
    return from_schema(typed(one_document(case_type.schema)), custom_formats=TYPED_FORMATS)


# --- one answer broken on purpose ----------------------------------------------------------------

def always_judged(case_type, spec) -> bool:
    """Whether the field is judged even when left blank: every section around it is required
    (a blank optional section is left out whole) and it is not in a table row."""
    if "*" in spec.path:
        return False
    sections = (case_type.spec_at(spec.path[:end]) for end in range(1, len(spec.path)))
    return all(section is not None and section.required for section in sections)


def wrong_answers(case_type, spec):
    """Answers a person might give that this field must refuse, most telling first."""
    schema = spec.schema
    if spec.required and spec.kind != "checkbox" and always_judged(case_type, spec):
        yield ""
    if schema.get("maxLength"):
        yield "x" * (schema["maxLength"] + 1)
    if schema.get("minLength", 0) >= 2:
        yield "x"
    if {"integer", "number"} & set(types_of(schema)):
        yield "inte ett tal"
    if spec.choices and spec.kind in ("select", "radio", "checkboxes"):
        yield "inget-sadant-val"
    if spec.kind == "file":
        yield "inte en fil"  # a reference the upload service never made
    if schema.get("format") == "email":
        yield "inte en adress"
    if schema.get("format") == "date":
        yield "2021-02-30"
    for bound, step in (("minimum", -1), ("maximum", 1)):
        if isinstance(schema.get(bound), (int, float)) and not isinstance(schema.get(bound), bool):
            yield str(schema[bound] + step)


def with_value(document, path: tuple, value):
    """A copy of the document with the value at path; objects, and a first row for a "*"
    (any row of a table), are created on the way."""
    if not path:
        return value
    head, rest = path[0], tuple(path[1:])
    if head == "*":
        rows = list(document) if isinstance(document, list) and document else [{}]
        return [with_value(rows[0], rest, value), *rows[1:]]
    copy = dict(document) if isinstance(document, dict) else {}
    copy[head] = with_value(copy.get(head), rest, value)
    return copy


def posted_name(case_type, spec) -> str | None:
    """The name the field's input posts under, found by posting a sentinel through it (as one
    value, or as the one item of a list for a field holding several)."""
    for value in (SENTINEL, [SENTINEL]):
        probe = to_formdata(case_type.fields, with_value(defaults_of(case_type.fields), spec.path, value))
        name = next((key for key, posted in probe.items(multi=True) if posted == SENTINEL), None)
        if name is not None:
            return name
    return None


def names_posted(case_type) -> list[str]:
    """Every name the form's inputs post under (a first table row included)."""
    defaults = defaults_of(case_type.fields)
    names = set(to_formdata(case_type.fields, defaults).keys())
    for spec in walk(case_type.fields):
        if not spec.children:
            probe = to_formdata(case_type.fields, with_value(defaults, spec.path, SENTINEL))
            names |= set(probe.keys())
    return sorted(names)


def is_fixed(spec) -> bool:
    """A value the form does not take from the person (readOnly, const): what is posted is ignored."""
    return bool(spec.schema.get("readOnly")) or "const" in spec.schema


def fixed_fields_only(case_type) -> bool:
    return all(is_fixed(spec) for spec in walk(case_type.fields) if not spec.children or is_fixed(spec))


def broken_answer(case_type):
    """(posted name, wrong answer, spec, data to post) for the first field that can be answered
    wrongly (in the first row when it is a table's column), the rest as a blank form posts."""
    blank = to_formdata(case_type.fields, defaults_of(case_type.fields))
    for spec in walk(case_type.fields):
        if spec.children or is_fixed(spec):
            continue
        name = posted_name(case_type, spec)
        answer = next(wrong_answers(case_type, spec), None)
        if name is not None and answer is not None:
            data = MultiDict([(key, value) for key, value in blank.items(multi=True) if key != name])
            data.add(name, answer)
            return name, answer, spec, data
    return None


# --- reading the page --------------------------------------------------------------------------

def page(html: str):
    return tinyhtml5.parse(html, namespace_html_elements=False)


def parents_of(root) -> dict:
    return {child: parent for parent in root.iter() for child in parent}


def ancestors(node, parents):
    node = parents.get(node)
    while node is not None:
        yield node
        node = parents.get(node)


def visible_controls(root) -> list:
    """Inputs a person fills in (not hidden ones, buttons, or the prototype row in <template>)."""
    parents = parents_of(root)
    return [node for node in root.iter() if node.tag in CONTROLS
            and node.get("type", "text") not in UNLABELLED_TYPES
            and not any(up.tag == "template" for up in ancestors(node, parents))]


def unlabelled_controls(html: str) -> list:
    root = page(html)
    labelled = {label.get("for") for label in root.iter("label")}
    return [node.get("name") or node.get("id") for node in visible_controls(root) if node.get("id") not in labelled]


def text_of(node) -> str:
    """The text a screen reader reads, without the visually hidden "Fel:" prefix."""
    hidden = {"".join(child.itertext()) for child in node.iter() if "visually-hidden" in (child.get("class") or "")}
    text = "".join(node.itertext())
    for part in hidden:
        text = text.replace(part, "", 1)
    return " ".join(text.split())


def message_next_to(html: str, name: str) -> str | None:
    """The error message linked (aria-describedby) from the field posting as `name`, or from
    the group (fieldset) it is drawn in; None when there is none."""
    root = page(html)
    parents = parents_of(root)
    by_id = {node.get("id"): node for node in root.iter() if node.get("id")}
    control = next((node for node in visible_controls(root) if node.get("name") == name), None)
    if control is None:
        return None
    for holder in (control, *ancestors(control, parents)):
        for reference in (holder.get("aria-describedby") or "").split():
            target = by_id.get(reference)
            if target is not None and "error-message" in (target.get("class") or ""):
                return text_of(target)
    return None


SWEDISH_WORDS = frozenset(
    "ange välj skriv fältet måste fyllas minst högst tecken värdet värde ett en av alternativen alternativ "
    "giltigt giltig giltiga lägg till rad rader kryssa rutan får inte ogiltigt ogiltig heltal tal text datum "
    "formen fel samma uppgifterna större mindre än multipel eller och är ska det här".split())
ENGLISH = re.compile(r"\b(is|are|not valid|required|should|must|expected|does|match|characters)\b", re.IGNORECASE)


def is_swedish(message: str) -> bool:
    words = set(re.findall(r"\w+", message.lower()))
    return bool(words & SWEDISH_WORDS) and not ENGLISH.search(message)
