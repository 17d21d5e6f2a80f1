"""File fields in the dialect, without a server: how a file field is written (contentMediaType,
anyOf of types, x-ui.accept, image/*, a list of files, rjsf's data-url), what `forms check` says
about it (notes for assumed bounds, errors at the exact node for a type the portal cannot check),
the reference the frozen schema judges, the form field that posts it, the tree that lists it,
and the content check of the upload service against real files."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from app.cases.attachments import FileRefused, Upload, checked_type, safe_file_name
from casetypes.normalize import normalize
from renderers.text import to_text
from renderers.tree import build_tree
from tests.test_case_type_loading import write_forms
from tests.test_schema_normalization import load, with_properties
from webforms import bind, judge

FILES = Path(__file__).resolve().parent / "fixtures" / "files"
PDF = (FILES / "polisanmalan.pdf").read_bytes()
PNG = (FILES / "skiss.png").read_bytes()
ELF = Path(shutil.which("true") or "/bin/true").read_bytes()
ROOT = Path(__file__).resolve().parents[1]


def reference(**changes) -> dict:
    return {"id": "a" * 22, "sha256": "0" * 64, "name": "intyg.pdf", "mediaType": "application/pdf", "size": 1000,
            **changes}


def messages(report) -> list[tuple[str, str]]:
    return [(finding.pointer, finding.message) for finding in report]


def test_a_string_with_content_media_type_is_a_file_field_judged_by_its_reference(tmp_path):
    report = load(tmp_path, with_properties(intyg={"type": "string", "title": "Intyg", "contentMediaType": "application/pdf",
                                                   "x-ui": {"maxBytes": 2048}}))
    assert report.ok, report.problems
    case_type = report.case_types["prov"]
    assert [spec.kind for spec in case_type.fields] == ["text", "file"]
    assert case_type.validate({"namn": "x", "intyg": reference()}) == []
    problems = {problem.message for problem in case_type.validate(
        {"namn": "x", "intyg": reference(mediaType="image/png", size=4096)})}
    assert problems == {"Filen ska vara av typen PDF.", "Filen är för stor; den får vara högst 2 kB."}
    assert {p.message for p in case_type.validate({"namn": "x", "intyg": "data:application/pdf;base64,AAAA"})} == {
        "Den bifogade filen kunde inte läsas. Ladda upp den igen."}
    frozen = json.loads(case_type.text)["properties"]["intyg"]
    assert frozen["x-ui"]["widget"] == "file" and frozen["properties"]["mediaType"] == {
        "enum": ["application/pdf"], "x-ui": {"errors": {"enum": "Filen ska vara av typen PDF."}}}


def test_assumed_bounds_are_notes_and_unknown_types_are_errors_at_their_node():
    written = {"type": "object", "properties": {
        "en": {"type": "string", "contentMediaType": "application/pdf"},
        "flera": {"type": "array", "items": {"anyOf": [{"type": "string", "contentMediaType": "image/png"},
                                                        {"type": "string", "contentMediaType": "text/html"}]}},
        "rjsf": {"type": "string", "format": "data-url"},
        "hint": {"type": "string", "x-ui": {"accept": ["image/*", "application/x-msdownload"]}}}}
    result = normalize(written, "Prov")
    notes = messages(result.notes)
    assert ("/properties/en", "x-ui.maxBytes saknas; 10 MB (10485760 byte) antogs.") in notes
    assert ("/properties/flera", "maxItems saknas; 10 filer antogs.") in notes
    assert any(pointer == "/properties/rjsf/format" and "data-url" in text and "filfält" in text for pointer, text in notes)
    errors = messages(result.errors)
    assert [pointer for pointer, _ in errors] == ["/properties/flera/items/anyOf/1/contentMediaType",
                                                   "/properties/hint/x-ui/accept/1"]
    assert errors[0][1].startswith("Filtypen 'text/html' kan portalen inte känna igen på innehållet; använd ")
    images = result.schema["properties"]["hint"]["x-ui"]["accept"]
    assert images == ["image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff"]


def test_the_canonical_form_is_left_as_it_is():
    once = normalize(with_properties(intyg={"type": "string", "contentMediaType": "application/pdf",
                                            "x-ui": {"maxBytes": 1000}}), "Prov").schema
    again = normalize(once, "Prov")
    assert again.schema == once and again.notes == [] and again.errors == []


def test_forms_check_names_the_file_and_the_pointer(app, tmp_path):
    write_forms(tmp_path, {"prov.json": with_properties(
        bilaga={"type": "string", "contentMediaType": "application/x-sh", "x-ui": {"maxBytes": 100}})})
    result = app.test_cli_runner().invoke(args=["forms", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert "FEL prov.json: /properties/bilaga/contentMediaType: Filtypen 'application/x-sh'" in result.output


def test_the_administrators_file_example_loads(tmp_path):
    readme = (ROOT / "forms" / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Filfält (bilagor)", 1)[1]
    fields = json.loads("{" + section.split("```json\n", 1)[1].split("```", 1)[0] + "}")
    report = load(tmp_path, with_properties(**fields))
    assert report.ok and not report.notes, (report.problems, report.notes)
    kinds = {spec.name: spec.kind for spec in report.case_types["prov"].fields}
    assert kinds["polisanmalan"] == "file" and kinds["bilagor"] == "files"


def test_the_form_posts_references_and_the_tree_lists_the_files(tmp_path):
    report = load(tmp_path, with_properties(bilagor={"type": "array", "title": "Bilagor", "maxItems": 2,
                                                     "items": {"type": "string", "contentMediaType": "application/pdf"}}))
    case_type = report.case_types["prov"]
    posted = MultiDict([("namn", "x"), ("bilagor", json.dumps(reference())),
                        ("bilagor", json.dumps(reference(name="två.pdf")))])
    document, problems = judge(case_type, posted)
    assert problems == [] and [ref["name"] for ref in document["bilagor"]] == ["intyg.pdf", "två.pdf"]
    too_many = MultiDict([("namn", "x")] + [("bilagor", json.dumps(reference()))] * 3)
    assert [p.message for p in judge(case_type, too_many)[1]] == ["Du kan bifoga högst 2 filer här."]
    assert bind(case_type, posted).form["bilagor"].data == posted.getlist("bilagor")
    text = to_text(build_tree(case_type.fields, document))
    assert f"Bilagor:\n  intyg.pdf (PDF, 1000 byte, sha256 {'0' * 64})\n  två.pdf (PDF" in text


@pytest.mark.parametrize("name, content, declared, allowed, expected", [
    ("polisanmalan.pdf", PDF, "application/pdf", ["application/pdf"], "application/pdf"),
    ("skiss.png", PNG, "image/png", ["application/pdf", "image/png"], "image/png"),
    ("utan-andelse", PNG, "application/octet-stream", ["image/png"], "image/png"),
    ("lista.csv", "namn;ort\nÅsa;Malmö\n".encode("cp1252"), "text/csv", ["text/csv"], "text/csv"),
])
def test_real_files_pass_the_content_check(name, content, declared, allowed, expected):
    assert checked_type(Upload(name, declared, content), allowed, 10 * 1024 * 1024) == expected


@pytest.mark.parametrize("name, content, declared, allowed, message", [
    ("program.pdf", ELF, "application/pdf", ["application/pdf"],
     "Filen program.pdf är inte en PDF-fil som namnet säger; bifoga en fil av typen PDF."),
    ("skiss.pdf", PNG, "application/pdf", ["application/pdf", "image/png"], "är inte en PDF-fil som namnet säger"),
    ("true", ELF, "application/octet-stream", ["application/pdf", "text/plain"], "är inte av en tillåten typ"),
    ("lista.csv", ELF, "text/csv", ["text/csv"], "är inte en CSV-fil som namnet säger"),
    ("tom.pdf", b"", "application/pdf", ["application/pdf"], "Filen tom.pdf är tom."),
    ("stor.pdf", PDF, "application/pdf", ["application/pdf"], "Filen stor.pdf är för stor (5,9 kB); den får vara högst 1000 byte."),
])
def test_bad_files_are_refused_in_swedish(name, content, declared, allowed, message):
    with pytest.raises(FileRefused) as refused:
        checked_type(Upload(name, declared, content), allowed, 1000 if name == "stor.pdf" else 10 * 1024 * 1024)
    assert message in str(refused.value)


@pytest.mark.parametrize("given, safe", [
    ("C:\\Users\\tolvan\\Polisanmälan.pdf", "Polisanmälan.pdf"),
    ("../../etc/passwd", "passwd"),
    ('a"b;\r\nContent-Type: text.pdf', "a_b_Content-Type_ text.pdf"),
    ("rapport/../x.pdf", "x.pdf"),
    ("", "bilaga"),
    ("x" * 300 + ".pdf", "x" * 247 + ".pdf"),
])
def test_file_names_are_made_safe(given, safe):
    assert safe_file_name(given) == safe
