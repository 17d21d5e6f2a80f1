"""Loading case types from a forms folder, and back from the frozen copy a case keeps.

Top-level `forms/*.json` files are case types; files in sub-folders are shared fragments that
case types pull in with `$ref`. Each case type is checked (JSON Schema's own meta-schema, then
our dialect), its external references are bundled into it as embedded resources, and that
self-contained bundle is what gets hashed, compiled and frozen into every case filed under it.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urljoin

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing import Registry
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from .dialect import FRAGMENT_META_SCHEMA, HINT_KEYWORD, META_SCHEMA
from .formats import FORMAT_CHECKER
from .problems import Problem, problems_from_errors
from .spec import FieldSpec, SpecError, build_form_spec, walk
from .validator import CaseTypeValidator

BASE_URI = "https://forms.invalid/"  # never resolvable: every resource is preloaded
SLUG_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}\Z")
BRANCH_KEYWORDS = ("if", "then", "else", "not")
BRANCH_LISTS = ("allOf", "anyOf", "oneOf")


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
        pattern = tuple("*" if isinstance(part, int) else part for part in path)
        return self.spec_index.get(pattern)

    def validate(self, document) -> list[Problem]:
        return problems_from_errors(self.validator.iter_errors(document), self.spec_at)


@dataclass
class LoadReport:
    case_types: dict  # slug -> CaseType, in display order
    problems: list

    @property
    def ok(self) -> bool:
        return not self.problems


# --- reading files -------------------------------------------------------------------------

def pointer_of(path) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def read_json(path: Path, name: str):
    try:
        return json.loads(path.read_text(encoding="utf-8")), []
    except UnicodeDecodeError:
        return None, [SchemaProblem(name, "", "Filen är inte UTF-8.")]
    except json.JSONDecodeError as exc:
        return None, [SchemaProblem(name, "", f"Ogiltig JSON på rad {exc.lineno}, kolumn {exc.colno}: {exc.msg}.")]


# --- the dialect check ---------------------------------------------------------------------

def unexpected_keys(error) -> str:
    allowed = set(error.schema.get("properties", {}))
    extra = sorted(set(error.instance) - allowed)
    return f"Okänt nyckelord eller okänd hint: {', '.join(map(repr, extra))}."


META_MESSAGES = {
    "additionalProperties": unexpected_keys,
    "enum": lambda e: f"Okänt värde {e.instance!r}; tillåtna är {', '.join(map(str, e.validator_value))}.",
    "propertyNames": lambda e: (f"Ogiltigt fältnamn {e.instance!r}: använd a–z, 0–9 och _, börja med en "
                                f"bokstav, och inget reserverat namn."),
    "pattern": lambda e: f"Ogiltigt värde {e.instance!r} (en $ref får bara peka på en fil i forms/).",
    "required": lambda e: f"Här krävs {', '.join(n for n in e.validator_value if n not in e.instance)}.",
    "const": lambda e: f"Värdet måste vara {json.dumps(e.validator_value)}.",
    "type": lambda e: f"Fel typ: ska vara {e.validator_value}.",
}


def dialect_problems(data, name: str, meta: dict) -> list[SchemaProblem]:
    try:
        Draft202012Validator.check_schema(data)
    except SchemaError as exc:
        return [SchemaProblem(name, pointer_of(exc.absolute_path), f"Ogiltigt JSON Schema: {exc.message}")]
    errors = Draft202012Validator(meta).iter_errors(data)
    return [
        SchemaProblem(name, pointer_of(error.absolute_path),
                      META_MESSAGES.get(error.validator, lambda e: e.message)(error))
        for error in sorted(errors, key=lambda e: list(map(str, e.absolute_path)))
    ]


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


def referenced_uris(uri: str, schema: dict, documents: dict) -> dict:
    """The files a schema needs, transitively: uri -> contents."""
    needed, pending = {}, [(uri, schema)]
    while pending:
        base, node = pending.pop()
        for ref in external_refs(node):
            target = urldefrag(urljoin(base, ref)).url
            if target not in documents:
                raise CaseTypeError([SchemaProblem(base[len(BASE_URI):], "", f"$ref {ref!r} pekar på en fil som inte finns i forms/.")])
            if target not in needed and target != uri:
                needed[target] = documents[target]
                pending.append((target, documents[target]))
    return needed


def bundle(uri: str, schema: dict, documents: dict) -> dict:
    """The schema with every file it refers to embedded under $defs, keyed by their own $id."""
    bundled = copy.deepcopy(schema)
    bundled["$id"] = uri
    embedded = {
        target[len(BASE_URI):]: {**{k: v for k, v in contents.items() if k != "$schema"}, "$id": target}
        for target, contents in referenced_uris(uri, schema, documents).items()
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
    raise NoSuchResource(ref=uri)


def resolver_for(schema: dict):
    resource = DRAFT202012.create_resource(schema)
    registry = Registry(retrieve=refuse_retrieval).with_resource(schema["$id"], resource).crawl()
    return registry, registry.resolver(base_uri=schema["$id"])


def object_names(schema: dict) -> set:
    """Every name an object's required/dependentRequired mention, its condition branches included."""
    names = set(schema.get("required", ()))
    for target, deps in schema.get("dependentRequired", {}).items():
        names.update([target, *deps])
    branches = [schema.get(k) for k in BRANCH_KEYWORDS] + [b for k in BRANCH_LISTS for b in schema.get(k, ())]
    for branch in filter(lambda b: isinstance(b, dict), branches):
        names |= object_names(branch)
    return names


def semantic_problems(name: str, schema: dict, fields: tuple) -> list[SchemaProblem]:
    problems = []
    objects = [("", schema, fields)] + [
        (spec.pointer, spec.schema if spec.kind == "fieldset" else spec.schema["items"], spec.children)
        for spec in walk(fields) if spec.children
    ]
    for pointer, node, children in objects:
        known = {child.name for child in children}
        problems += [SchemaProblem(name, pointer, f"{missing!r} nämns i required men finns inte i properties.")
                     for missing in sorted(object_names(node) - known) if isinstance(node, dict) and "$ref" not in node]
    problems += [
        SchemaProblem(name, spec.pointer, f"Ogiltigt reguljärt uttryck: {exc}.")
        for spec, exc in pattern_errors(walk(fields))
    ]
    return problems


def pattern_errors(specs):
    for spec in specs:
        try:
            re.compile(spec.schema.get("pattern", ""))
        except re.error as exc:
            yield spec, exc


def compile_case_type(slug: str, schema: dict, name: str) -> CaseType:
    """Build a CaseType from a self-contained bundle, or raise CaseTypeError."""
    registry, resolver = resolver_for(schema)
    try:
        fields = build_form_spec(schema, resolver)
    except SpecError as exc:
        raise CaseTypeError([SchemaProblem(name, exc.pointer, exc.message)]) from None
    except Unresolvable as exc:
        raise CaseTypeError([SchemaProblem(name, "", f"$ref kan inte lösas upp: {exc}.")]) from None
    problems = semantic_problems(name, schema, fields)
    if problems:
        raise CaseTypeError(problems)
    text = canonical_text(schema)
    validator = CaseTypeValidator(schema, registry=registry, format_checker=FORMAT_CHECKER)
    return CaseType(
        slug=slug, schema=schema, text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        validator=validator, fields=fields,
        spec_index={spec.path: spec for spec in walk(fields)},
    )


@functools.lru_cache(maxsize=128)
def case_type_from_frozen(slug: str, text: str) -> CaseType:
    """The case type exactly as a case froze it, whatever forms/ holds today; compiled once per
    version, since every view and PDF of a case needs it."""
    return compile_case_type(slug, json.loads(text), f"{slug} (fryst)")


# --- a whole folder ------------------------------------------------------------------------

def read_folder(root: Path):
    documents, problems = {}, []
    for path in sorted(root.rglob("*.json")):
        name = path.relative_to(root).as_posix()
        data, read_problems = read_json(path, name)
        is_case_type = "/" not in name
        meta = META_SCHEMA if is_case_type else FRAGMENT_META_SCHEMA
        file_problems = read_problems or dialect_problems(data, name, meta)
        if is_case_type and not SLUG_PATTERN.match(path.stem):
            file_problems.append(SchemaProblem(name, "", "Filnamnet ska vara a–z, 0–9 och bindestreck, t.ex. min-arendetyp.json."))
        problems += file_problems
        if not file_problems:
            documents[BASE_URI + name] = data
    return documents, problems


def load_case_type(uri: str, documents: dict) -> CaseType:
    name = uri[len(BASE_URI):]
    return compile_case_type(Path(name).stem, bundle(uri, documents[uri], documents), name)


def load_forms_dir(root: Path) -> LoadReport:
    """Every valid case type in the folder, and a problem for each file that is refused."""
    root = Path(root)
    if not root.is_dir():
        return LoadReport({}, [SchemaProblem(str(root), "", "Mappen finns inte.")])
    documents, problems = read_folder(root)
    case_types = []
    for uri in (u for u in documents if "/" not in u[len(BASE_URI):]):
        try:
            case_types.append(load_case_type(uri, documents))
        except CaseTypeError as exc:
            problems += exc.problems
    case_types.sort(key=lambda ct: (ct.order, ct.title))
    return LoadReport({ct.slug: ct for ct in case_types}, problems)
