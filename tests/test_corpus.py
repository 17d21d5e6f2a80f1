"""Issue 9's measure of the low-code promise: form schemas published by others (tests/corpus/,
sources and licences in SOURCES.md) dropped into a forms folder as published.

Each file is loaded through the same path as `flask forms check`. At least 90 % must be
accepted (notes allowed, no errors); the few the portal refuses (a recursive tree, a map with no
fields, a root that is no object) are listed below with the node the refusal must point at.
Every other schema is served by the preview route: its form has a label for every input, a
valid document posted as a browser would is accepted, and a wrong answer gets a Swedish
message linked to its field.
"""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings

from bench.corpus_report import ACCEPTED, CORPUS_DIR, REFUSED, THRESHOLD, acceptance, load_corpus
from tests.conftest import make_app
from tests.corpus_helpers import (
    VALID_BY_HAND,
    broken_answer,
    fixed_fields_only,
    is_swedish,
    message_next_to,
    names_posted,
    served_folder,
    typed_documents,
    unlabelled_controls,
)
from webforms.caseform import to_formdata

CORPUS = load_corpus()
BY_SLUG = {outcome.slug: outcome for outcome in CORPUS}
MINIMUM_CORPUS = 32
VALID_EXAMPLES = 3  # documents generated and posted per schema in `make test`

# slug -> (why the portal refuses it, JSON pointers at or under which the refusal must point)
EXPECTED_REFUSALS = {
    "rjsf-references": ("a recursive tree: #/definitions/node contains itself",
                        ("/definitions/node", "/properties/tree")),
    "rjsf-property-names": ("a map of free names (additionalProperties + propertyNames), no fields",
                            ("/additionalProperties", "/propertyNames")),
    "rjsf-single": ("the document is one string, not an object of fields", ("", "/type")),
    "rjsf-custom-array": ("the document is an array, not an object of fields", ("", "/type", "/items")),
}
SERVED = sorted(slug for slug in BY_SLUG if slug not in EXPECTED_REFUSALS)
JSONSCHEMA_ENGLISH = re.compile(r"is not (of type|valid)|is a required property|does not match|Failed validating")


def pointer_and_message(line: str) -> tuple[str, str]:
    """A problem line "file: /pointer: message" ("/" stands for the whole file)."""
    _, pointer, message = line.split(": ", 2)
    return ("" if pointer == "/" else pointer), message


def refusal_summary(outcome) -> str:
    return f"{outcome.name}: " + " | ".join(outcome.errors[:4])


# --- the corpus itself -------------------------------------------------------------------------

def test_the_corpus_is_large_enough_and_every_file_has_its_source():
    sources = (CORPUS_DIR / "SOURCES.md").read_text(encoding="utf-8")
    assert len(CORPUS) >= MINIMUM_CORPUS
    undocumented = [outcome.name for outcome in CORPUS if outcome.path.name not in sources]
    assert not undocumented
    assert set(EXPECTED_REFUSALS) <= set(BY_SLUG), "an expected refusal names no corpus file"


def test_no_published_schema_crashes_or_hangs_the_loader():
    broken = [f"{outcome.name}: {outcome.status}: {outcome.errors}" for outcome in CORPUS
              if outcome.status not in (ACCEPTED, REFUSED)]
    assert not broken


def test_at_least_90_percent_are_accepted_as_published():
    refused = [refusal_summary(outcome) for outcome in CORPUS if not outcome.accepted]
    ratio = acceptance(CORPUS)
    assert ratio >= THRESHOLD, (f"{ratio:.1%} accepted ({len(CORPUS) - len(refused)} of {len(CORPUS)}); "
                                "refused:\n" + "\n".join(refused))


# --- the schemas the portal must refuse, and where it says so ------------------------------------

@pytest.mark.parametrize("slug", sorted(EXPECTED_REFUSALS))
def test_what_the_portal_cannot_serve_is_refused_at_the_node(slug):
    outcome = BY_SLUG[slug]
    reason, pointers = EXPECTED_REFUSALS[slug]
    assert outcome.status == REFUSED, f"expected a refusal ({reason}), got {outcome.status}"
    located = [pointer_and_message(line) for line in outcome.errors]
    at_node = [message for pointer, message in located
               if any(pointer == node or pointer.startswith(node + "/") for node in pointers)]
    assert at_node, f"no problem at {pointers} ({reason}); the loader said: {outcome.errors}"
    english = [message for _, message in located if JSONSCHEMA_ENGLISH.search(message)]
    assert not english, "an administrator reads Swedish"


# --- everything else is accepted and served ----------------------------------------------------

@pytest.mark.parametrize("slug", SERVED)
def test_published_schema_is_accepted_with_notes_only(slug):
    outcome = BY_SLUG[slug]
    assert outcome.accepted, refusal_summary(outcome)


@pytest.fixture(scope="module")
def corpus_client(tmp_path_factory):
    accepted = [outcome for outcome in CORPUS if outcome.accepted]
    folder = served_folder(tmp_path_factory.mktemp("forms"), accepted)
    database = tmp_path_factory.mktemp("db") / "portal.db"
    app = make_app(f"sqlite:///{database}", forms_dir=str(folder))
    return app.test_client()


def served_case_type(slug: str):
    outcome = BY_SLUG[slug]
    assert outcome.accepted, "not accepted, so not served: " + refusal_summary(outcome)
    return outcome.case_type


@pytest.mark.parametrize("slug", SERVED)
def test_the_form_is_served_with_a_label_for_every_input(corpus_client, slug):
    served_case_type(slug)
    response = corpus_client.get(f"/forhandsgranska/{slug}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="case-form"' in html
    assert not unlabelled_controls(html)


def assert_accepted(client, slug, case_type, document):
    response = client.post(f"/forhandsgranska/{slug}", data=to_formdata(case_type.fields, document))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    summary = re.search(r'<div class="error-summary".*?</ul>', html, re.S)
    assert "Formuläret är giltigt" in html, (document, summary.group(0) if summary else html[:2000])


@pytest.mark.parametrize("slug", SERVED)
def test_a_valid_document_posted_as_a_browser_would_is_accepted(corpus_client, slug):
    case_type = served_case_type(slug)
    if slug in VALID_BY_HAND:
        for document in VALID_BY_HAND[slug]:
            assert case_type.validator.is_valid(document), document
            assert_accepted(corpus_client, slug, case_type, document)
        return

    @settings(max_examples=VALID_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(typed_documents(case_type))
    def posted(document):
        assert_accepted(corpus_client, slug, case_type, document)

    posted()


@pytest.mark.parametrize("slug", SERVED)
def test_a_wrong_answer_gets_a_swedish_message_next_to_its_field(corpus_client, slug):
    case_type = served_case_type(slug)
    broken = broken_answer(case_type)
    if broken is None:  # every value is fixed by the schema (const, readOnly): nothing to get wrong
        assert fixed_fields_only(case_type), "no field of this form can be answered wrongly"
        garbage = {name: "inget-sadant-val" for name in names_posted(case_type)}
        assert "Formuläret är giltigt" in corpus_client.post(f"/forhandsgranska/{slug}", data=garbage).get_data(as_text=True)
        return
    name, answer, spec, data = broken
    response = corpus_client.post(f"/forhandsgranska/{slug}", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Formuläret är giltigt" not in html
    message = message_next_to(html, name)
    assert message, f"no message linked to {name!r} after answering {answer!r} ({spec.label})"
    assert is_swedish(message), message
