"""Property tests over every shipped case type and the kitchen sink: any valid document
hypothesis-jsonschema generates fills the form as a browser would post it and comes back out
identical and valid — after the dialect's documented normalisation of text (trimmed, blank
left out, CRLF as LF) and of checkbox groups (in the order of their choices)."""
from datetime import date

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from stdnum import luhn
from werkzeug.datastructures import MultiDict

from casetypes import load_forms_dir
from casetypes.formats import reshape_datetime
from casetypes.spec import FieldSpec
from tests import test_plain_schema_fields as plain
from tests.conftest import KITCHEN_SINK_DIR, ROOT
from tests.corpus_helpers import one_document
from tests.test_field_names import ODD_NAMES, case_type_of
from webforms import bind, judge
from webforms.caseform import active_document, to_formdata

ODD_NAMES_TYPE = case_type_of(ODD_NAMES)

SHIPPED = load_forms_dir(ROOT / "forms").case_types
SINK = load_forms_dir(KITCHEN_SINK_DIR).case_types
# Plain JSON Schema constructs: odd names, nullable, free lists, choices, formats, conditions.
PLAIN = {case_type.slug: case_type for case_type in (
    ODD_NAMES_TYPE, plain.NULLABLE, plain.CHOICES, plain.ANNOTATED, plain.FORMATS, plain.CONDITIONAL,
    plain.PUBLISHED, plain.TUPLES, plain.NESTED)}
CASE_TYPES = {**SHIPPED, **SINK, **PLAIN}


@st.composite
def personnummer(draw):
    born = draw(st.dates(min_value=date(1920, 1, 1), max_value=date(2020, 12, 31)))
    body = f"{born:%y%m%d}{draw(st.integers(1, 999)):03d}"  # födelsenummer 000 is never issued
    return f"{born.year // 100}{body}{luhn.calc_check_digit(body)}"


@st.composite
def organisationsnummer(draw):
    # A legal entity: the third digit is 2 or more, so it can never be read as a birth month.
    body = f"{draw(st.integers(1, 9))}{draw(st.integers(0, 9))}{draw(st.integers(2, 9))}{draw(st.integers(0, 999999)):06d}"
    number = body + luhn.calc_check_digit(body)
    return f"{number[:6]}-{number[6:]}"


@st.composite
def hsa_id(draw):
    body = f"{draw(st.integers(1, 9))}{draw(st.integers(0, 9))}{draw(st.integers(2, 9))}{draw(st.integers(0, 999999)):06d}"
    local = draw(st.from_regex(r"[A-Za-z0-9]{1,12}", fullmatch=True))
    return f"SE{body}{luhn.calc_check_digit(body)}-{local}"


emails = st.from_regex(r"[a-z][a-z0-9._]{0,15}@[a-z]{2,12}\.(se|com|org)", fullmatch=True)
FORMATS = {
    "personnummer": personnummer(), "organisationsnummer": organisationsnummer(), "email": emails,
    "postnummer": st.from_regex(r"[1-9][0-9]{2} [0-9]{2}", fullmatch=True),
    "telefonnummer": st.sampled_from(["+46701234567", "+4618123456", "+46812345678", "+4930123456"]),
    "hsa-id": hsa_id(),
}


def normalised(spec_list, document: dict) -> dict:
    """The document as the dialect stores it after a trip through a browser form."""
    result = {}
    for spec in spec_list:
        if spec.deprecated:
            continue
        if spec.read_only:
            value = spec.default
        elif spec.name in document:
            value = normalised_value(spec, document[spec.name])
        else:
            value = ALWAYS_ANSWERED_BLANK.get(spec.kind)
        if not spec.required and spec.kind == "fieldset" and value is not None and is_blank(value):
            value = None
        if value is None and spec.nullable:
            result[spec.name] = None
        elif value is not None:
            result[spec.name] = value
    return result


ALWAYS_ANSWERED_BLANK = {"checkbox": False, "checkboxes": [], "table": [], "list": [], "files": []}


def is_blank(value) -> bool:
    if isinstance(value, dict):
        return all(map(is_blank, value.values()))
    return value is False or value is None or value == []


def normalised_value(spec: FieldSpec, value):
    if value is None:
        return None
    if spec.kind == "fieldset":
        return normalised(spec.children, value)
    if spec.kind == "table":
        return [normalised(spec.children, row) for row in value]
    if spec.kind == "list":
        items = [normalised_value(spec.children[0], item) for item in value]
        return [item for item in items if item is not None and item != []]  # a blank row is no item
    if spec.kind == "datetime":
        return reshape_datetime(value)
    if spec.kind == "checkboxes":
        order = [choice.value for choice in spec.choices]
        return sorted(set(value), key=order.index)
    if isinstance(value, str) and spec.kind not in ("select", "radio"):
        text = value.replace("\r\n", "\n").strip()
        return text or None
    return value


def generatable(node):
    """The schema in the draft-07 spelling hypothesis-jsonschema generates from: tuples as
    `items: [...]` + `additionalItems` (it does not know 2020-12's `prefixItems`)."""
    if isinstance(node, list):
        return [generatable(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: generatable(value) for key, value in node.items()}
    if isinstance(node.get("prefixItems"), list):
        result["items"] = result.pop("prefixItems")
        result["additionalItems"] = generatable(node.get("items", True))
    return result


@pytest.mark.parametrize("slug", sorted(CASE_TYPES))
def test_generated_documents_round_trip_through_the_form(slug):
    case_type = CASE_TYPES[slug]

    single = one_document(case_type.schema)
    schema = generatable(single)
    if schema != single:
        schema["$schema"] = "http://json-schema.org/draft-07/schema#"

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(from_schema(schema, custom_formats=FORMATS))
    def round_trip(document):
        expected = active_document(case_type, normalised(case_type.fields, document))
        assume(case_type.validator.is_valid(expected))
        tried.append(document)
        formdata = to_formdata(case_type.fields, document)
        form = bind(case_type, formdata)
        assert form.document() == expected
        assert form.validate(), form.problems
        assert judge(case_type, formdata) == (expected, [])  # the unbound reading agrees

    tried = []
    round_trip()
    assert len(tried) >= 20, "too few generated documents survived normalisation to prove anything"


def field_names(specs, prefix=""):
    """Posted names a hostile or broken client could send: real ones, odd row numbers too."""
    for spec in specs:
        name = prefix + spec.key
        if spec.kind == "table":
            for index in ("0", "1", "3", "05", "١", "²", "x", "9" * 5000, ""):
                yield from field_names(spec.children, f"{name}-{index}-")
            yield f"{name}-2-_row"
            yield f"{name}5-0-_row"  # another name that merely starts with this one
        elif spec.kind == "list":
            for index in ("0", "1", "05", "²", "9" * 5000, ""):
                yield f"{name}-{index}"
            yield f"{name}-1-_row"
        elif spec.kind == "fieldset":
            yield from field_names(spec.children, name + "-")
        else:
            yield name


@pytest.mark.parametrize("slug", sorted(CASE_TYPES))
def test_reading_any_posted_data_is_stable_and_drawable(slug):
    """Whatever a client posts, the one reader gives a document that the form posts back as the
    same document, and the form can be drawn with it (a re-render after any failed submit)."""
    case_type = CASE_TYPES[slug]
    names = sorted(set(field_names(case_type.fields)))
    values = st.sampled_from(["", " ", "y", "false", "true", "0", "3", "1,5", "uppsala", "man", "x\r\ny"]) | st.text(max_size=8)
    pairs = st.lists(st.tuples(st.sampled_from(names), values), max_size=25)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(pairs)
    def stable(posted):
        document, _ = judge(case_type, MultiDict(posted))
        assert judge(case_type, to_formdata(case_type.fields, document))[0] == document
        drawn = bind(case_type, MultiDict(posted))
        assert drawn.document() == document
        assert len(list(drawn.form)) == len(drawn.fields)  # the form binds every field it draws

    stable()
