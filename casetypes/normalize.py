"""One step from a schema as others publish it to the canonical schema the portal serves.

A raw file (any JSON) goes in; out come the canonical JSON Schema 2020-12 document, with every
bound the portal needs written into it, and two lists for the administrator: notes (what the
portal assumed, `NOTERA`) and errors (what it cannot serve, `FEL`). Each concern is one small
rule in a registry; the walker visits every subschema once, top-down, and applies them in order.
Because the result is what gets bundled, hashed and frozen, a case records exactly what was
applied. A file already in the strict dialect comes out unchanged and without notes.
"""
from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass, field
from typing import Callable

from .dialect import (
    DIALECT_URI,
    HINT_KEYWORD,
    KEYWORDS,
    KNOWN_FORMATS,
    ROOT_KEYWORDS,
    SELF_BOUNDED_FORMATS,
    TEXTAREA_KIND,
    UNSUPPORTED_KEYWORDS,
)
from .files import (
    DATA_URL,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_FILES,
    FILE_KIND,
    FILE_TYPES,
    FILES_KIND,
    REFERENCE_ERRORS,
    expanded,
    reference_schema,
    size_text,
)

# Bounds the portal applies when a file names none (documented in forms/README.md).
TEXT_MAX_LENGTH = 500  # at most this long a text stays a one-line field
TEXTAREA_MAX_LENGTH = 5000
FORMAT_MAX_LENGTHS = {"email": 254}  # RFC 5321
DEFAULT_MAX_ITEMS = 100

DRAFTS = {
    "http://json-schema.org/draft-04/schema": "draft-04",
    "http://json-schema.org/draft-06/schema": "draft-06",
    "http://json-schema.org/draft-07/schema": "draft-07",
    "https://json-schema.org/draft/2019-09/schema": "2019-09",
    "https://json-schema.org/draft/2020-12/schema": "2020-12",
}

# Where a subschema sits decides which defaults apply to it. A FIELD is a value the form asks
# for; a BRANCH (then/else/allOf/…) describes the same object as its parent, so its properties
# are fields but it is not closed on its own; a CONDITION (if/not/…) only tests, and is left as
# written.
FIELD, BRANCH, CONDITION = "field", "branch", "condition"
SINGLE_SUBSCHEMAS = {"items": FIELD, "then": BRANCH, "else": BRANCH, "if": CONDITION, "not": CONDITION,
                     "contains": CONDITION, "propertyNames": CONDITION, "additionalProperties": CONDITION,
                     "unevaluatedProperties": CONDITION, "unevaluatedItems": CONDITION}
MAPPED_SUBSCHEMAS = {"properties": FIELD, "$defs": FIELD, "dependentSchemas": BRANCH,
                     "patternProperties": CONDITION}
LISTED_SUBSCHEMAS = {"allOf": BRANCH, "anyOf": BRANCH, "oneOf": BRANCH, "prefixItems": FIELD}
# Keywords through which an object gets properties besides its own "properties".
COMPOSING_KEYWORDS = ("allOf", "anyOf", "oneOf", "then", "else", "dependentSchemas", "$ref")

MAP_MESSAGE = ("Fria nyckel–värde-par (additionalProperties eller patternProperties som schema) stöds inte. "
               "Använd en tabell (en lista av objekt) med en kolumn för nyckeln och en för värdet.")


@dataclass
class Finding:
    pointer: str
    message: str


@dataclass
class Normalized:
    schema: object
    notes: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    source_pointers: dict = field(default_factory=dict)  # normalised pointer -> pointer in the file
    own_id: str = ""  # the file's own $id, if it names one: refs that spell it out are local

    def source_of(self, pointer: str) -> str:
        """Where in the file the administrator wrote a node that now sits at `pointer`."""
        for normalized, source in sorted(self.source_pointers.items(), key=lambda item: -len(item[0])):
            if pointer == normalized or pointer.startswith(normalized + "/"):
                return source + pointer[len(normalized):]
        return pointer


@dataclass
class Place:
    """One subschema under the walker: where it sits, and the report it adds to."""
    pointer: str
    position: str
    report: Normalized
    is_root: bool = False
    composed_defs: frozenset = frozenset()

    def note(self, message: str, key: str = "") -> None:
        self.report.notes.append(Finding(self.report.source_of(self.pointer + escape(key)), message))

    def error(self, message: str, key: str = "") -> None:
        self.report.errors.append(Finding(self.report.source_of(self.pointer + escape(key)), message))


def escape(key: str) -> str:
    return "/" + key.replace("~", "~0").replace("/", "~1") if key else ""


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def named_types(node: dict) -> set:
    named = node.get("type")
    if isinstance(named, str):
        return {named}
    return {name for name in named if isinstance(name, str)} if isinstance(named, list) else set()


def is_of_type(node: dict, name: str) -> bool:
    return name in named_types(node)


def const_choices(node) -> list | None:
    alternatives = node.get("oneOf", node.get("anyOf")) if isinstance(node, dict) else None
    if isinstance(alternatives, list) and alternatives and all(
            isinstance(alt, dict) and "const" in alt for alt in alternatives):
        return alternatives
    return None


def choice_count(node) -> int | None:
    """How many choices a schema lists, if it is a list of choices."""
    if not isinstance(node, dict):
        return None
    if isinstance(node.get("enum"), list):
        return len(node["enum"])
    choices = const_choices(node)
    return len(choices) if choices else None


def short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


# --- the rules, in the order they run ------------------------------------------------------

def dialect_uri(node: dict, at: Place) -> None:
    """$schema: missing or an older draft is read as 2020-12; an unknown dialect is refused."""
    if not at.is_root:
        if node.get("$schema") in DRAFTS:
            node.pop("$schema")
        return
    given = node.get("$schema")
    draft = DRAFTS.get(given.rstrip("#").replace("https://json-schema.org/draft-", "http://json-schema.org/draft-")
                       ) if isinstance(given, str) else None
    if given is None:
        at.note("$schema saknas; filen läses som JSON Schema 2020-12.")
    elif draft is None:
        return at.error(f"Okänt $schema {short(given)}; använd {DIALECT_URI}.", "$schema")
    elif draft != "2020-12":
        at.note(f"Filen är skriven för JSON Schema {draft}; den läses som 2020-12 "
                "(definitions, dependencies och liknande skrivs om).", "$schema")
    node["$schema"] = DIALECT_URI


def definitions(node: dict, at: Place) -> None:
    """draft-07 `definitions` become 2020-12 `$defs` (every $ref to them is rewritten too)."""
    if "definitions" not in node:
        return
    old = node.pop("definitions")
    if not isinstance(old, dict) or not isinstance(node.get("$defs", {}), dict):
        return at.error("definitions ska vara ett objekt av scheman.", "definitions")
    clashes = sorted(set(old) & set(node.get("$defs", {})))
    if clashes:
        return at.error(f"Namnen {', '.join(map(short, clashes))} finns i både definitions och $defs.", "definitions")
    node["$defs"] = {**old, **node.get("$defs", {})}
    at.report.source_pointers[at.pointer + "/$defs"] = at.pointer + "/definitions"
    at.note("definitions läses som $defs.", "definitions")


def definitions_refs(node: dict, at: Place) -> None:
    ref = node.get("$ref")
    if isinstance(ref, str) and "#/definitions/" in ref:
        node["$ref"] = ref.replace("#/definitions/", "#/$defs/", 1)


def own_document_refs(node: dict, at: Place) -> None:
    """A $ref spelled with the file's own $id (a URL) is a reference inside the file."""
    own_id, ref = at.report.own_id, node.get("$ref")
    if own_id and isinstance(ref, str) and ref.startswith(own_id + "#"):
        node["$ref"] = "#" + ref.split("#", 1)[1]
    elif own_id and ref == own_id:
        node["$ref"] = "#"


def nested_ids(node: dict, at: Place) -> None:
    """Only the file itself has an identity in the portal (its path in forms/)."""
    if at.is_root and isinstance(node.get("$id"), str):
        node.pop("$id")
    elif "$id" in node:
        node.pop("$id")
        at.note("$id inne i schemat ignoreras; hänvisa med $ref till #/$defs/… i stället.", "$id")


def dependencies(node: dict, at: Place) -> None:
    """draft-07 `dependencies`: lists become dependentRequired, schemas dependentSchemas."""
    if "dependencies" not in node:
        return
    old = node.pop("dependencies")
    if not isinstance(old, dict):
        return at.error("dependencies ska vara ett objekt.", "dependencies")
    lists = {name: value for name, value in old.items() if isinstance(value, list)}
    schemas = {name: value for name, value in old.items() if not isinstance(value, list)}
    if lists:
        node["dependentRequired"] = {**lists, **node.get("dependentRequired", {})} if isinstance(
            node.get("dependentRequired", {}), dict) else lists
    if schemas:
        node["dependentSchemas"] = {**schemas, **node.get("dependentSchemas", {})} if isinstance(
            node.get("dependentSchemas", {}), dict) else schemas
        at.report.source_pointers[at.pointer + "/dependentSchemas"] = at.pointer + "/dependencies"
    at.note("dependencies läses som dependentRequired (listor) och dependentSchemas (scheman).", "dependencies")


def draft04_exclusive_bounds(node: dict, at: Place) -> None:
    """draft-04 spelled exclusive bounds as booleans beside minimum/maximum."""
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(exclusive), bool):
            if node.pop(exclusive) and is_number(node.get(bound)):
                node[exclusive] = node.pop(bound)
            at.note(f"{exclusive} som true/false (draft-04) skrevs om till 2020-12.", exclusive)


def openapi_nullable(node: dict, at: Place) -> None:
    """OpenAPI's `nullable: true` is JSON Schema's type list with "null"."""
    if "nullable" not in node:
        return
    if node.pop("nullable") is True and isinstance(node.get("type"), str) and node["type"] != "null":
        node["type"] = [node["type"], "null"]
    at.note('nullable läses som "type": [typ, "null"].', "nullable")


def tuples(node: dict, at: Place) -> None:
    """Tuple arrays (a schema per position) are served as a fixed group of fields: draft-07's
    `items: [..]` is read as `prefixItems`, and a tail left open is closed, since a form draws
    only the positions it knows (the answer has at most that many parts)."""
    said = []
    if isinstance(node.get("items"), list):
        node["prefixItems"] = node.pop("items")
        if "additionalItems" in node:
            node["items"] = node.pop("additionalItems")
        at.report.source_pointers[at.pointer + "/prefixItems"] = at.pointer + "/items"
        said.append("items som lista (draft-07) läses som prefixItems.")
    node.pop("additionalItems", None)
    prefix = node.get("prefixItems")
    if isinstance(prefix, list) and at.position != CONDITION:
        if node.get("items", True) is not False:
            node["items"] = False
            said.append(f"Listan har {len(prefix)} positioner med egna scheman och visas som lika många fält; "
                        "fler delar än så avvisas (items: false antogs).")
        node.setdefault("maxItems", len(prefix))
    if said:
        at.note(" ".join(said), "prefixItems")


def maps(node: dict, at: Place) -> None:
    """Keys chosen by the person filling in (patternProperties) cannot be a form: beside fields
    of its own the object is closed like any other (with a note), alone it is refused."""
    if "patternProperties" not in node:
        return
    node.pop("patternProperties")
    if at.position == CONDITION:
        return at.note("patternProperties i ett villkor ignoreras.", "patternProperties")
    if declares_properties(node):
        return at.note("patternProperties ignoreras: portalen tar bara emot formulärets egna fält, "
                       "andra nycklar avvisas med ett felmeddelande.", "patternProperties")
    at.error(MAP_MESSAGE, "patternProperties")


def unknown_keywords(node: dict, at: Place) -> None:
    """Keywords outside JSON Schema and our x-ui are ignored with a note, as JSON Schema itself
    ignores them; one that looks like a misspelt keyword is an error, since ignoring it would
    quietly drop a rule."""
    allowed = KEYWORDS | (ROOT_KEYWORDS if at.is_root else set())
    for key in [key for key in node if key not in allowed and key != HINT_KEYWORD]:
        if key in UNSUPPORTED_KEYWORDS:
            at.error(UNSUPPORTED_KEYWORDS[key], key)
            continue
        guess = difflib.get_close_matches(key, sorted(KEYWORDS | {HINT_KEYWORD}), n=1, cutoff=0.85)
        if guess and not key.startswith("x-"):
            at.error(f"Okänt nyckelord {short(key)}; menade du {guess[0]!r}?", key)
        else:
            at.note(f"Nyckelordet {short(key)} används inte av portalen och ignoreras.", key)
            node.pop(key)


def unknown_formats(node: dict, at: Place) -> None:
    """A format the portal does not know is shown and judged as plain text."""
    named = node.get("format")
    if isinstance(named, str) and named not in KNOWN_FORMATS:
        node.pop("format")
        at.note(f"Formatet {short(named)} är okänt för portalen; fältet behandlas som vanlig text.", "format")


def object_type(node: dict, at: Place) -> None:
    """A field with properties but no type is an object."""
    if at.position == FIELD and "type" not in node and isinstance(node.get("properties"), dict) and "$ref" not in node:
        node["type"] = "object"
        at.note('type saknas; "object" antogs eftersom properties finns.')


def composes(node: dict) -> bool:
    return any(key in node for key in COMPOSING_KEYWORDS)


def declares_properties(node: dict) -> bool:
    return isinstance(node.get("properties"), dict) or composes(node)


def closed_objects(node: dict, at: Place) -> None:
    """Objects take only their own fields: closed unless the file closes them itself. An object
    whose fields also come from branches is closed with unevaluatedProperties, which sees them."""
    if at.position != FIELD or not is_of_type(node, "object") or is_composed_def(at):
        return
    closing = "unevaluatedProperties" if composes(node) else "additionalProperties"
    if any(key in node and node[key] is not False and not declares_properties(node)
           for key in ("additionalProperties", "unevaluatedProperties")):
        return at.error(MAP_MESSAGE, next(k for k in ("additionalProperties", "unevaluatedProperties") if k in node))
    opened = [key for key in ("additionalProperties", "unevaluatedProperties") if key in node and node[key] is not False]
    for key in opened:
        node.pop(key)
        at.note(f"{key} ändrades till false: portalen tar bara emot formulärets egna fält, "
                "andra nycklar avvisas med ett felmeddelande.", key)
    if node.get("additionalProperties") is not False and node.get("unevaluatedProperties") is not False:
        node[closing] = False
        if not opened:
            at.note(f"{closing}: false antogs (andra nycklar än formulärets fält avvisas).")


def is_composed_def(at: Place) -> bool:
    """A $defs entry that another schema builds on (allOf: [{$ref}]) stays open; the object
    that builds on it is the one closed."""
    return "#" + at.pointer in at.composed_defs


def bounded_string(node: dict) -> bool:
    return ("maxLength" in node or "enum" in node or "const" in node or const_choices(node) is not None
            or node.get("format") in SELF_BOUNDED_FORMATS)


def default_max_length(node: dict) -> int:
    hints = node.get(HINT_KEYWORD)
    if isinstance(hints, dict) and hints.get("widget") == TEXTAREA_KIND:
        return TEXTAREA_MAX_LENGTH
    return FORMAT_MAX_LENGTHS.get(node.get("format"), TEXT_MAX_LENGTH)


def string_bounds(node: dict, at: Place) -> None:
    """Free text gets a maxLength: 500 for a line, 5000 for a textarea, 254 for an e-mail."""
    if at.position == CONDITION or not is_of_type(node, "string") or "$ref" in node or bounded_string(node):
        return
    least = node.get("minLength") if is_number(node.get("minLength")) else 0
    node["maxLength"] = max(default_max_length(node), int(least))
    at.note(f"maxLength saknas; {node['maxLength']} antogs.")


def array_bounds(node: dict, at: Place) -> None:
    """A list gets a maxItems: a group of choices as many as it has choices, else 100 rows."""
    if at.position == CONDITION or not is_of_type(node, "array") or "$ref" in node or "maxItems" in node:
        return
    least = node.get("minItems") if is_number(node.get("minItems")) else 0
    node["maxItems"] = max(choice_count(node.get("items")) or DEFAULT_MAX_ITEMS, int(least))
    at.note(f"maxItems saknas; {node['maxItems']} antogs.")


COUNT_KEYWORDS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties",
                  "minContains", "maxContains")


def whole_counts(node: dict, at: Place) -> None:
    """A count written as 10.0 is the count 10 (JSON Schema allows it; a form attribute needs 10)."""
    for key in COUNT_KEYWORDS:
        value = node.get(key)
        if isinstance(value, float) and value.is_integer():
            node[key] = int(value)


CONTRADICTIONS = (("minLength", "maxLength"), ("minItems", "maxItems"), ("minimum", "maximum"),
                  ("minProperties", "maxProperties"))


def contradictions(node: dict, at: Place) -> None:
    """Bounds no answer can meet would make a form nobody can send."""
    for low, high in CONTRADICTIONS:
        if is_number(node.get(low)) and is_number(node.get(high)) and node[low] > node[high]:
            at.error(f"{low} ({short(node[low])}) är större än {high} ({short(node[high])}); "
                     "inget svar kan uppfylla båda.", low)


# --- file fields ---------------------------------------------------------------------------

FILE_ANNOTATIONS = ("title", "description", "$comment", "deprecated", "writeOnly")


def hints_of(node: dict) -> dict:
    hints = node.get(HINT_KEYWORD)
    return hints if isinstance(hints, dict) else {}


def file_members(node: dict) -> list:
    """`anyOf`/`oneOf` of file strings (one per allowed type): (where, member) of each, else []."""
    for keyword in ("anyOf", "oneOf"):
        members = node.get(keyword)
        if isinstance(members, list) and members and all(
                isinstance(m, dict) and isinstance(m.get("contentMediaType"), str)
                and named_types(m) <= {"string"} for m in members):
            return [(f"{keyword}/{index}/contentMediaType", member) for index, member in enumerate(members)]
    return []


def is_file_string(node: dict) -> bool:
    """A string with contentMediaType, rjsf's data-url, or a choice of such strings."""
    types = named_types(node)
    if types and (not types <= {"string", "null"} or "string" not in types):
        return False
    marked = (isinstance(node.get("contentMediaType"), str) or node.get("format") == DATA_URL
              or "accept" in hints_of(node) or hints_of(node).get("widget") == FILE_KIND)
    return marked or (not types and bool(file_members(node)))


def declared_types(node: dict) -> list:
    """(media type, where it is written) a file field names: x-ui.accept, else its contentMediaType(s)."""
    accept = hints_of(node).get("accept")
    if isinstance(accept, list):
        return [(str(item), f"{HINT_KEYWORD}/accept/{index}") for index, item in enumerate(accept)]
    named = [(node["contentMediaType"], "contentMediaType")] if isinstance(node.get("contentMediaType"), str) else []
    return named + [(member["contentMediaType"], where) for where, member in file_members(node)]


def allowed_file_types(node: dict, at: Place) -> list:
    declared = declared_types(node)
    if not declared:
        at.note("Filfältet anger ingen filtyp; alla typer portalen känner igen tillåts "
                f"({', '.join(FILE_TYPES.values())}). Ange contentMediaType eller x-ui.accept.")
        return list(FILE_TYPES)
    allowed: list = []
    for media_type, where in declared:
        known = expanded(media_type.lower())
        if not known:
            at.report.errors.append(Finding(at.report.source_of(f"{at.pointer}/{where}"),
                                            f"Filtypen {short(media_type)} kan portalen inte känna igen på innehållet; "
                                            f"använd {', '.join(FILE_TYPES)} (eller image/*)."))
        allowed += [item for item in known if item not in allowed]
    return allowed


def file_max_bytes(node: dict, at: Place) -> int:
    given = hints_of(node).get("maxBytes")
    if is_number(given) and float(given).is_integer():
        return int(given)
    at.note(f"{HINT_KEYWORD}.maxBytes saknas; {size_text(DEFAULT_MAX_BYTES)} ({DEFAULT_MAX_BYTES} byte) antogs.")
    return DEFAULT_MAX_BYTES


def file_reference(node: dict, at: Place) -> None:
    """A file field becomes the schema of the reference the document stores (files.py)."""
    if node.get("format") == DATA_URL:
        at.note('format "data-url" (rjsf) läses som ett filfält: filen laddas upp, kontrolleras och '
                "sparas för sig, och ärendet sparar en hänvisning till den, ingen data-URL.", "format")
    allowed = allowed_file_types(node, at)
    max_bytes = file_max_bytes(node, at)
    given = hints_of(node)
    hints = {**{k: v for k, v in given.items() if k != "widget"}, "widget": FILE_KIND, "accept": allowed,
             "maxBytes": max_bytes, "errors": {**REFERENCE_ERRORS, **(given["errors"] if isinstance(given.get("errors"), dict) else {})}}
    kept = {key: node[key] for key in FILE_ANNOTATIONS if key in node}
    nullable = "null" in named_types(node)
    node.clear()
    node.update({**kept, **reference_schema(allowed or ["application/pdf"], max_bytes, nullable),
                 HINT_KEYWORD: hints})


def files_list(node: dict, at: Place) -> None:
    """A list of file strings is several files: bounded by maxItems (10 when missing); hints
    for the files written on the list apply to each."""
    items = node["items"]
    list_hints = hints_of(node)
    shared = {key: list_hints[key] for key in ("accept", "maxBytes") if key in list_hints}
    if shared:
        items[HINT_KEYWORD] = {**shared, **hints_of(items)}
    node[HINT_KEYWORD] = {**{k: v for k, v in list_hints.items() if k not in ("accept", "maxBytes")},
                          "widget": FILES_KIND}
    if "maxItems" not in node:
        node["maxItems"] = max(DEFAULT_MAX_FILES, int(node["minItems"]) if is_number(node.get("minItems")) else 0)
        at.note(f"maxItems saknas; {node['maxItems']} filer antogs.")


def file_fields(node: dict, at: Place) -> None:
    """Strings with contentMediaType (or data-url) are file fields; a list of them, several."""
    if at.position == CONDITION:
        return
    items = node.get("items")
    if is_of_type(node, "array") and isinstance(items, dict) and is_file_string(items):
        files_list(node, at)
    elif is_file_string(node):
        file_reference(node, at)


# One entry per concern, run in this order on every subschema (dicts only; booleans are
# already valid 2020-12).
RULES: dict[str, Callable[[dict, Place], None]] = {
    "$schema": dialect_uri,
    "definitions": definitions,
    "definitions-refs": definitions_refs,
    "own-id-refs": own_document_refs,
    "$id": nested_ids,
    "dependencies": dependencies,
    "draft-04-exclusive": draft04_exclusive_bounds,
    "nullable": openapi_nullable,
    "tuples": tuples,
    "maps": maps,
    "file-fields": file_fields,
    "unknown-keywords": unknown_keywords,
    "unknown-formats": unknown_formats,
    "whole-counts": whole_counts,
    "object-type": object_type,
    "closed-objects": closed_objects,
    "string-bounds": string_bounds,
    "array-bounds": array_bounds,
    "contradictions": contradictions,
}


# --- the walk ------------------------------------------------------------------------------

def child_position(parent: str, position: str) -> str:
    return CONDITION if CONDITION in (parent, position) else position


def subschemas(node: dict, at: Place):
    """(key path, child, position) of every subschema directly under a node."""
    for key, position in SINGLE_SUBSCHEMAS.items():
        if isinstance(node.get(key), dict):
            yield (key,), node[key], child_position(at.position, position)
    for key, position in MAPPED_SUBSCHEMAS.items():
        if isinstance(node.get(key), dict):
            for name, child in node[key].items():
                if isinstance(child, dict):
                    yield (key, name), child, child_position(at.position, position)
    for key, position in LISTED_SUBSCHEMAS.items():
        if isinstance(node.get(key), list):
            for index, child in enumerate(node[key]):
                if isinstance(child, dict):
                    yield (key, str(index)), child, child_position(at.position, position)


def visit(node: dict, at: Place) -> None:
    for rule in RULES.values():
        rule(node, at)
    for keys, child, position in list(subschemas(node, at)):
        pointer = at.pointer + "".join("/" + key.replace("~", "~0").replace("/", "~1") for key in keys)
        visit(child, Place(pointer, position, at.report, composed_defs=at.composed_defs))


def composed_refs(data) -> frozenset:
    """Local $refs that are parts of an allOf, anywhere in the file (an alternative of anyOf/
    oneOf is a whole object of its own, and closing it tells the alternatives apart)."""
    found, pending = set(), [data]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            for key in ("allOf",):
                members = node.get(key) if isinstance(node.get(key), list) else []
                found |= {m["$ref"].replace("#/definitions/", "#/$defs/", 1) for m in members
                          if isinstance(m, dict) and isinstance(m.get("$ref"), str) and m["$ref"].startswith("#/")}
            pending += node.values()
        elif isinstance(node, list):
            pending += node
    return frozenset(found)


def root_title(schema: dict, fallback: str | None, report: Normalized) -> None:
    """A case type needs a name to be chosen by; a file without one is named after itself."""
    if fallback and "title" not in schema:
        schema["title"] = fallback
        report.notes.append(Finding("", f"title saknas; {fallback!r} (av filnamnet) antogs."))


def root_object(schema: dict, report: Normalized) -> None:
    """A case type is a form: an object with fields, never a lone value or list."""
    if "type" in schema and not is_of_type(schema, "object"):
        report.errors.append(Finding("/type", "En ärendetyp ska vara ett objekt med fält (\"type\": \"object\" och "
                                              "properties); ett ensamt värde eller en lista kan inte vara ett formulär."))


def normalize(data, fallback_title: str | None = None) -> Normalized:
    """The canonical, bounded 2020-12 form of a file's contents, with notes and errors.
    `fallback_title` names a case type whose file has no title (fragments need none)."""
    if not isinstance(data, dict):
        return Normalized(data, errors=[Finding("", "Filen ska innehålla ett JSON-objekt, ett schema.")])
    own_id = data.get("$id") if isinstance(data.get("$id"), str) else ""
    schema = copy.deepcopy(data)
    report = Normalized(schema, own_id=own_id.split("#")[0])
    visit(schema, Place("", FIELD, report, is_root=True, composed_defs=composed_refs(data)))
    if fallback_title:  # a case type, not a shared fragment
        root_title(schema, fallback_title, report)
        root_object(schema, report)
    return report
