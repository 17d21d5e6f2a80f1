"""Loading case types from a forms folder, and back from the frozen copy a case keeps.

Top-level `forms/*.json` files are case types; files in sub-folders are shared fragments that
case types pull in with `$ref`. Each file is read within bounds (size, nesting, no NaN or
repeated keys), normalised (normalize.py: a schema as published becomes canonical, bounded
2020-12, with notes), checked (metacheck.py: JSON Schema's own meta-schema, then our dialect);
a case type's external references are bundled into it as embedded resources, its field tree is
built and held against what the portal can serve (servable.py), and that self-contained bundle
is what gets hashed, compiled and frozen into every case filed under it. `forms check` and the
portal's start both call load_forms_dir; each file's problems are its own.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urljoin

from referencing import Registry
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT202012

from .dialect import FRAGMENT_META_SCHEMA, HINT_KEYWORD, META_SCHEMA
from .formats import FORMAT_CHECKER
from .inlining import inlined
from .metacheck import dialect_problems as dialect_meta_problems
from .metacheck import json_schema_problems, shorten
from .normalize import Normalized, normalize
from .problems import Problem, problems_from_errors
from .servable import reference_problems, unservable, unshown
from .spec import FieldSpec, SpecError, build_form_spec, walk
from .steps import step_notes
from .validator import CaseTypeValidator

BASE_URI = "https://forms.invalid/"  # never resolvable: every resource is preloaded
SLUG_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}\Z")


@dataclass(frozen=True)
class SchemaProblem:
    """Something wrong in a forms file, for the administrator: file, JSON pointer, message."""
    file: str
    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.pointer or '/'}: {self.message}"


class CaseTypeError(Exception):
    def __init__(self, problems: list[SchemaProblem]):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


@dataclass(frozen=True)
class CaseType:
    slug: str
    schema: dict  # the self-contained bundle
    text: str  # canonical JSON of the bundle: what a case freezes
    sha256: str
    validator: CaseTypeValidator = field(repr=False, compare=False)
    fields: tuple = field(repr=False, compare=False)
    spec_index: dict = field(repr=False, compare=False)
    notes: tuple = field(default=(), repr=False, compare=False)  # (pointer, message) the form leaves out

    @property
    def title(self) -> str:
        return self.schema["title"]

    @property
    def description(self) -> str:
        return self.schema.get("description", "")

    @property
    def version(self) -> str:
        return self.sha256[:12]

    @property
    def active(self) -> bool:
        return self.schema.get(HINT_KEYWORD, {}).get("active", True)

    @property
    def order(self) -> int:
        return self.schema.get(HINT_KEYWORD, {}).get("order", 100)

    def spec_at(self, path: tuple) -> FieldSpec | None:
        """The field at a document path: a row index reads as "*", a tuple's position as itself."""
        pattern: tuple = ()
        for part in path:
            if isinstance(part, int) and pattern + (part,) not in self.spec_index:
                part = "*"
            pattern += (part,)
        return self.spec_index.get(pattern)

    def validate(self, document) -> list[Problem]:
        return problems_from_errors(self.validator.iter_errors(document), self.spec_at)


@dataclass
class LoadReport:
    case_types: dict  # slug -> CaseType, in display order
    problems: list  # what refused a file (FEL)
    notes: list = field(default_factory=list)  # what the portal assumed (NOTERA)

    @property
    def ok(self) -> bool:
        return not self.problems


# --- reading files -------------------------------------------------------------------------

MAX_FILE_BYTES = 1_000_000
MAX_JSON_DEPTH = 100

# Python's JSON parser explains itself in English; an administrator reads these instead.
JSON_MESSAGES = {
    "Expecting value": "ett värde saknas",
    "Expecting property name enclosed in double quotes": "ett nyckelnamn inom dubbla citattecken väntas",
    "Expecting ',' delimiter": "ett kommatecken saknas",
    "Expecting ':' delimiter": "ett kolon saknas",
    "Unterminated string starting at": "en text saknar avslutande citattecken",
    "Invalid control character at": "otillåtet styrtecken i en text (skriv radbrytning som \\n)",
    "Invalid \\escape": "ogiltig \\-sekvens i en text",
    "Invalid \\uXXXX escape": "ogiltig \\u-sekvens i en text",
    "Extra data": "text efter slutet av JSON-värdet",
    "Illegal trailing comma before end of object": "kommatecken före }",
    "Illegal trailing comma before end of array": "kommatecken före ]",
}


class UnreadableJson(ValueError):
    """A file that parses but that no schema may be: NaN, Infinity, a key given twice."""


def refuse_constant(name: str):
    raise UnreadableJson(f"{name} är inte tillåtet i JSON")


def finite_float(text: str) -> float:
    """A JSON number as a float; one too large for a float (1e400) is refused, not read as
    infinity, so every accepted schema can be written back as JSON."""
    value = float(text)
    if not math.isfinite(value):
        raise UnreadableJson(f"talet {text[:30]} är för stort")
    return value


def object_without_duplicates(pairs: list) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise UnreadableJson(f"nyckeln {shorten(key)!r} förekommer två gånger i samma objekt")
        result[key] = value
    return result


def json_depth(data) -> int:
    """How deeply objects and arrays nest, counted without recursion."""
    deepest, pending = 0, [(data, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, depth)
            if depth <= MAX_JSON_DEPTH:
                pending += [(child, depth + 1) for child in (node.values() if isinstance(node, dict) else node)]
    return deepest


def parse_json(text: str, name: str):
    try:
        data = json.loads(text, parse_constant=refuse_constant, parse_float=finite_float,
                          object_pairs_hook=object_without_duplicates)
    except json.JSONDecodeError as exc:
        return None, [SchemaProblem(name, "", f"Ogiltig JSON på rad {exc.lineno}, kolumn {exc.colno}: "
                                              f"{JSON_MESSAGES.get(exc.msg, 'felaktig syntax')}.")]
    except UnreadableJson as exc:
        return None, [SchemaProblem(name, "", f"Ogiltig JSON: {exc}.")]
    except RecursionError:
        return None, [SchemaProblem(name, "", f"Filen är nästlad för djupt (högst {MAX_JSON_DEPTH} nivåer).")]
    except ValueError:
        return None, [SchemaProblem(name, "", "Filen innehåller ett tal som är för stort.")]
    if json_depth(data) > MAX_JSON_DEPTH:
        return None, [SchemaProblem(name, "", f"Filen är nästlad för djupt (högst {MAX_JSON_DEPTH} nivåer).")]
    return data, []


def read_json(path: Path, name: str):
    try:
        raw = path.read_bytes()
    except OSError:
        return None, [SchemaProblem(name, "", "Filen kan inte läsas.")]
    if len(raw) > MAX_FILE_BYTES:
        return None, [SchemaProblem(name, "", f"Filen är för stor (högst {MAX_FILE_BYTES // 1000} kB).")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, [SchemaProblem(name, "", "Filen är inte UTF-8.")]
    return parse_json(text, name)


# --- reading, normalising and checking one file -------------------------------------------

def fallback_title(name: str) -> str | None:
    """A readable name made of a case type's file name; fragments need no title."""
    return None if "/" in name else Path(name).stem.replace("-", " ").replace("_", " ").capitalize()


def checked_problems(schema, name: str, is_case_type: bool, normalized: Normalized) -> tuple[list, bool]:
    """JSON Schema's own meta-schema first; a valid schema is then held against our dialect.
    Pointers are given as the administrator wrote them (before definitions became $defs).
    Also says whether the schema is valid JSON Schema (so its fields can still be looked at)."""
    found = json_schema_problems(schema)
    valid = not found
    if valid:
        found = dialect_meta_problems(schema, META_SCHEMA if is_case_type else FRAGMENT_META_SCHEMA)
    return [SchemaProblem(name, normalized.source_of(pointer), message) for pointer, message in found], valid


@dataclass
class Document:
    """One file of the folder as read: its canonical schema (None if it is no JSON Schema at
    all), what refuses it and what the portal assumed."""
    schema: dict | None
    problems: list
    notes: list


def read_document(path: Path, name: str) -> Document:
    data, problems = read_json(path, name)
    if problems:
        return Document(None, problems, [])
    normalized = normalize(data, fallback_title(name))
    notes = [SchemaProblem(name, finding.pointer, finding.message) for finding in normalized.notes]
    problems = [SchemaProblem(name, finding.pointer, finding.message) for finding in normalized.errors]
    if not isinstance(normalized.schema, dict):
        return Document(None, problems, notes)
    refused = {problem.pointer for problem in problems}
    checked, valid = checked_problems(normalized.schema, name, "/" not in name, normalized)
    problems += [problem for problem in checked if problem.pointer not in refused]
    if "/" not in name and not SLUG_PATTERN.match(path.stem):
        problems.append(SchemaProblem(name, "", "Filnamnet ska vara a–z, 0–9 och bindestreck, t.ex. min-arendetyp.json."))
    return Document(normalized.schema if valid else None, problems, notes)


# --- bundling ------------------------------------------------------------------------------

def external_refs(node):
    """Every $ref in a schema that names another file."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            yield ref
        for value in node.values():
            yield from external_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from external_refs(value)


def referenced_uris(uri: str, schema: dict, documents: dict, refused: frozenset = frozenset()) -> dict:
    """The files a schema needs, transitively: uri -> contents. A file with problems of its own
    cannot be used, and says so here too."""
    needed, pending = {}, [(uri, schema)]
    while pending:
        base, node = pending.pop()
        for ref in external_refs(node):
            target = urldefrag(urljoin(base, ref)).url
            where = "" if base == uri else f" i {base[len(BASE_URI):]}"
            if target in refused and target != uri:
                raise CaseTypeError([SchemaProblem(uri[len(BASE_URI):], "", f"$ref {ref[:80]!r}{where} pekar på en fil som har fel "
                                                                             "(se FEL-raderna för den filen).")])
            if target not in documents:
                raise CaseTypeError([SchemaProblem(uri[len(BASE_URI):], "", f"$ref {ref[:80]!r}{where} pekar på en fil som inte finns i forms/.")])
            if target not in needed and target != uri:
                needed[target] = documents[target]
                pending.append((target, documents[target]))
    return needed


def bundle(uri: str, schema: dict, documents: dict, refused: frozenset = frozenset()) -> dict:
    """The schema with every file it refers to embedded under $defs, keyed by their own $id."""
    bundled = copy.deepcopy(schema)
    bundled["$id"] = uri
    embedded = {
        target[len(BASE_URI):]: {**{k: v for k, v in contents.items() if k != "$schema"}, "$id": target}
        for target, contents in referenced_uris(uri, schema, documents, refused).items()
    }
    if embedded:
        bundled["$defs"] = {**bundled.get("$defs", {}), **embedded}
    return bundled


def canonical_text(schema: dict) -> str:
    """Compact JSON in the file's own key order: property order is display order, so it is
    part of what a case freezes and of the version."""
    return json.dumps(schema, ensure_ascii=False, separators=(",", ":"))


# --- compiling -----------------------------------------------------------------------------

def refuse_retrieval(uri: str):
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]  # referencing's own attrs decorator hides the fields from mypy


def resolver_for(schema: dict):
    resource = DRAFT202012.create_resource(schema)
    empty = Registry(retrieve=refuse_retrieval)  # type: ignore[call-arg]  # (as above)
    registry = empty.with_resource(schema["$id"], resource).crawl()
    return registry, registry.resolver(base_uri=schema["$id"])


def compile_case_type(slug: str, schema: dict, name: str, checked: bool = True) -> CaseType:
    """Build a CaseType from a self-contained bundle, or raise CaseTypeError. A frozen copy is
    compiled unchecked: it was accepted once, and a case must always open."""
    registry, resolver = resolver_for(schema)
    problems = [SchemaProblem(name, *problem) for problem in reference_problems(schema, resolver)] if checked else []
    if problems:
        raise CaseTypeError(problems)
    try:
        fields = build_form_spec(schema, resolver)
    except SpecError as exc:
        raise CaseTypeError([SchemaProblem(name, pointer, message) for pointer, message in exc.all]) from None
    problems = [SchemaProblem(name, pointer, message) for pointer, message in unservable(schema, fields)] if checked else []
    if problems:
        raise CaseTypeError(problems)
    text = canonical_text(schema)
    # The validator judges a copy with the plain $refs written out (casetypes/inlining.py): the
    # same errors, without following a reference on every judgement.
    validator = CaseTypeValidator(inlined(schema, resolver), registry=registry, format_checker=FORMAT_CHECKER)
    return CaseType(
        slug=slug, schema=schema, text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        validator=validator, fields=fields,
        spec_index={spec.path: spec for spec in walk(fields)},
        notes=tuple(unshown(schema, fields)) + tuple(step_notes(schema, fields)) if checked else (),
    )


@functools.lru_cache(maxsize=128)
def case_type_from_frozen(slug: str, text: str) -> CaseType:
    """The case type exactly as a case froze it, whatever forms/ holds today; compiled once per
    version, since every view and PDF of a case needs it."""
    return compile_case_type(slug, json.loads(text), f"{slug} (fryst)", checked=False)


# --- a whole folder ------------------------------------------------------------------------

def read_folder(root: Path) -> dict:
    """name -> Document for every .json file under the folder."""
    documents = {}
    for path in sorted(root.rglob("*.json")):
        name = path.relative_to(root).as_posix()
        try:
            documents[name] = guarded(name, read_document, path, name)
        except CaseTypeError as exc:
            documents[name] = Document(None, exc.problems, [])
    return documents


def guarded(name: str, step, *args):
    """Run one file's step; whatever goes wrong becomes a problem of that file alone, so one
    bad file never stops the other case types or the portal from starting. The known causes
    are checked before this; this is the net under them."""
    try:
        return step(*args)
    except CaseTypeError:
        raise
    except Exception as exc:  # noqa: BLE001 - the net: reported, never raised to the caller
        reason = "för djupt nästlad eller självrefererande" if isinstance(exc, RecursionError) else type(exc).__name__
        raise CaseTypeError([SchemaProblem(name, "", f"Filen kunde inte läsas in ({reason}). "
                                                     "Kontrollera den mot handboken forms/README.md.")]) from None


def load_case_type(uri: str, documents: dict, refused: frozenset) -> CaseType:
    name = uri[len(BASE_URI):]
    return compile_case_type(Path(name).stem, bundle(uri, documents[uri], documents, refused), name)


def covered(pointer: str, reported: set) -> bool:
    """Whether a problem at this node is already explained by one at it or beneath it."""
    return any(other == pointer or other.startswith(pointer + "/") for other in reported)


def further_problems(name: str, problems: list, found: list) -> list:
    """Problems the field tree finds in a file already refused, except where one is reported."""
    reported = {problem.pointer for problem in problems if problem.file == name}
    return [problem for problem in found if not covered(problem.pointer, reported)]


def load_forms_dir(root: Path) -> LoadReport:
    """Every valid case type in the folder, and a problem for each file that is refused: all
    problems of a file at once (its dialect, its fields, what its fields cannot serve)."""
    root = Path(root)
    if not root.is_dir():
        return LoadReport({}, [SchemaProblem(str(root), "", "Mappen finns inte.")], [])
    read = read_folder(root)
    problems = [problem for document in read.values() for problem in document.problems]
    notes = [note for document in read.values() for note in document.notes]
    documents = {BASE_URI + name: doc.schema for name, doc in read.items() if doc.schema is not None}
    refused = frozenset(BASE_URI + name for name, doc in read.items() if doc.problems)
    case_types = []
    for name in (name for name, doc in read.items() if "/" not in name and doc.schema is not None):
        try:
            case_type = guarded(name, load_case_type, BASE_URI + name, documents, refused)
        except CaseTypeError as exc:
            problems += further_problems(name, problems, exc.problems) if read[name].problems else exc.problems
            continue
        if not read[name].problems:
            case_types.append(case_type)
            notes += [SchemaProblem(name, pointer, message) for pointer, message in case_type.notes]
    case_types.sort(key=lambda ct: (ct.order, ct.title))
    return LoadReport({ct.slug: ct for ct in case_types}, problems, notes)
