"""The field tree of a case type: every property resolved ($ref followed, hints read, kind
decided) into a FieldSpec that forms, renderers and error messages share.

Kind resolution follows one order, as react-jsonschema-form does: an explicit "x-ui" widget,
then the format, then a list of choices, then the JSON type's default.
"""
from __future__ import annotations

import json
import re
import unicodedata
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any, Callable

from referencing.exceptions import Unresolvable

from . import conditions
from .dialect import FORMAT_KINDS, HINT_KEYWORD, KIND_TYPES, LONG_TEXT_LENGTH, RESERVED_KEYS

# How deep fields may nest (a fieldset in a table in a fieldset ...), and how long a chain of
# $ref may be: both far beyond any real form, and they keep a hostile file from taking the
# stack or the CPU.
MAX_FIELD_DEPTH = 12
MAX_REF_CHAIN = 32
# A few $defs that each use the next several times unfold into an exponential field tree while
# the file stays small; the number of fields drawn for one case type is therefore capped too.
MAX_FIELDS = 2000
FIELDS_LEFT: ContextVar[list | None] = ContextVar("FIELDS_LEFT", default=None)  # set per form
RECURSION_MESSAGE = ("Rekursiva träd stöds inte: fältet hänvisar (via $ref) till sig självt. "
                     "Använd en tabell (en lista av objekt) i stället.")
# Boolean subschemas read as their object spelling, so the rest of the engine sees only dicts.
BOOLEAN_SCHEMAS: dict[bool, dict] = {True: {}, False: {"not": {}}}


class SpecError(ValueError):
    """A property the dialect cannot turn into a field; carries the schema pointer. `all`
    holds every such problem found in one tree, so a file's problems are reported together."""

    def __init__(self, pointer: str, message: str, found: tuple = ()):
        super().__init__(message)
        self.pointer = pointer
        self.message = message
        self.all = found or ((pointer, message),)

    @classmethod
    def of_all(cls, errors: list) -> "SpecError":
        found = tuple(dict.fromkeys(problem for error in errors for problem in error.all))
        pointer, message = found[0]
        return cls(pointer, message, found=found)


@dataclass(frozen=True)
class Choice:
    value: Any
    title: str


@dataclass(frozen=True)
class FieldSpec:
    name: str
    path: tuple  # JSON path of the value; "*" stands for any row index
    kind: str
    schema: dict  # the property's schema with $ref followed and siblings merged over it
    required: bool
    children: tuple = ()  # fieldset: its fields; table: the fields of one row
    choices: tuple = ()
    pointer: str = ""
    key: str = ""  # the safe name its input carries in HTML (see html_keys)
    nullable: bool = False  # null is a value it takes: an empty answer is stored as null
    visible_when: Any = None  # a schema its object must match for it to apply (see conditions)
    condition: str = ""  # that condition in Swedish, for the line "Fyll i om …"
    client_rule: Any = None  # (sibling key, values, negated) when the browser can judge it

    @property
    def label(self) -> str:
        return self.schema.get("title") or readable_name(self.name)

    @property
    def read_only(self) -> bool:
        """Shown, never answered: `readOnly`, or a `const` (the one value it can have)."""
        return self.schema.get("readOnly") is True or "const" in self.schema

    @property
    def deprecated(self) -> bool:
        return self.schema.get("deprecated") is True

    @property
    def placeholder(self) -> str | None:
        """The hint's placeholder, else the first of the schema's `examples`."""
        examples = self.schema.get("examples")
        example = examples[0] if isinstance(examples, list) and examples else None
        hinted = self.hints.get("placeholder")
        return hinted if hinted is not None else (None if example is None or isinstance(example, (dict, list))
                                                   else str(example))

    @property
    def form_children(self) -> tuple:
        """The children a new answer can fill in: deprecated ones only show in old cases."""
        return tuple(child for child in self.children if not child.deprecated)

    @property
    def help(self) -> str:
        return self.schema.get("description", "")

    @property
    def hints(self) -> dict:
        return self.schema.get(HINT_KEYWORD, {})

    @property
    def default(self):
        return self.schema.get("default", self.schema.get("const"))

    def child(self, name: str) -> "FieldSpec":
        return next(spec for spec in self.children if spec.name == name)


# --- names ---------------------------------------------------------------------------------

SAFE_KEY = re.compile(r"[a-z][a-z0-9_]{0,62}\Z")
WORD_BREAK = re.compile(r"[\s_]+")
CAMEL_BREAK = re.compile(r"(?<=[^\W_A-Z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][^\W\d_A-Z])")
NOT_SLUG = re.compile(r"[^a-z0-9]+")


def readable_name(name: str) -> str:
    """A label for a property without a title: "firstName" and "first_name" -> "First name";
    words in capitals (acronyms) keep them."""
    words = WORD_BREAK.split(CAMEL_BREAK.sub(" ", name).strip())
    words = [word if word.isupper() and len(word) > 1 else word.lower() for word in words if word]
    text = " ".join(words)
    return (text[:1].upper() + text[1:]) or name or "Fält"


def ascii_slug(name: str) -> str:
    """"Förnamn (enligt ID)" -> "fornamn_enligt_id": letters without accents, a-z0-9_."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return NOT_SLUG.sub("_", plain).strip("_")[:40]


def html_keys(names: list) -> dict:
    """Property name -> the safe name its input carries in HTML, for one object's properties.

    A name that is already safe (a-z, 0-9, _, and no control the portal adds or WTForms form
    attribute) is its own key, so the shipped forms post what they always did; any other name
    becomes "f<position>_<slug>", unique among its siblings. Depends only on the schema, so a
    version always posts the same names."""
    plain = {name for name in names if SAFE_KEY.match(name) and name not in RESERVED_KEYS}
    keys: dict = {}
    for position, name in enumerate(names):
        if name in plain:
            keys[name] = name
            continue
        key = "_".join(filter(None, (f"f{position}", ascii_slug(name))))
        while key in plain or key in keys.values():
            key += "_"
        keys[name] = key
    return keys


# --- kinds ---------------------------------------------------------------------------------

def as_const(alternative) -> dict | None:
    """`{"const": v, "title": t}`, or the same written `{"enum": [v], "title": t}`."""
    if not isinstance(alternative, dict):
        return None
    if "const" in alternative:
        return alternative
    enum = alternative.get("enum")
    return {**alternative, "const": enum[0]} if isinstance(enum, list) and len(enum) == 1 else None


def const_alternatives(schema: dict) -> list | None:
    """The alternatives of `oneOf`/`anyOf: [{const, title}, …]`, if the schema lists choices so."""
    for keyword in ("oneOf", "anyOf"):
        alternatives = schema.get(keyword)
        consts = [as_const(o) for o in alternatives] if isinstance(alternatives, list) else []
        if consts and all(consts):
            return consts
    return None


NAMING_KEYS = ("title", "name", "label")


def choice_title(value) -> str:
    """How a choice without a title reads: Ja/Nej, an object by its name, else its value."""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, dict):
        named = next((value[key] for key in NAMING_KEYS if isinstance(value.get(key), str)), None)
        return named or json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list) else str(value)


def choices_of(schema: dict) -> tuple:
    """Labelled choices from `oneOf`/`anyOf: [{const, title}]`, or plain `enum` values; a null
    choice is not listed (the empty answer stands for it, see nullable_of)."""
    if not isinstance(schema, dict):
        return ()
    alternatives = const_alternatives(schema)
    if alternatives:
        choices = [Choice(o["const"], str(o.get("title") or choice_title(o["const"]))) for o in alternatives]
    elif isinstance(schema.get("enum"), list):
        choices = [Choice(value, choice_title(value)) for value in schema["enum"]]
    elif "const" in schema:
        choices = [Choice(schema["const"], str(schema.get("title") or choice_title(schema["const"])))]
    else:
        return ()
    return tuple(choice for choice in choices if choice.value is not None)


PYTHON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number"}


def value_type_of(schema: dict) -> str | None:
    """The JSON type of a property (null aside), inferred from its choices when it names none."""
    declared = schema.get("type")
    if isinstance(declared, list):
        named = [name for name in declared if name != "null"]
        return named[0] if len(named) == 1 and isinstance(named[0], str) else None
    if declared is not None:
        return declared if isinstance(declared, str) else None
    names = {PYTHON_TYPES.get(type(choice.value)) for choice in choices_of(schema)}
    if not names and is_object_alternatives(schema):
        return "object"
    return names.pop() if len(names) == 1 else None


def is_object_alternatives(schema: dict) -> bool:
    """A schema that is only a choice between objects (`oneOf`/`anyOf` of objects): a section."""
    for keyword in ("oneOf", "anyOf"):
        members = schema.get(keyword)
        if isinstance(members, list) and members and all(
                isinstance(m, dict) and (m.get("type") == "object" or isinstance(m.get("properties"), dict))
                for m in members):
            return True
    return False


NULL_MEMBER = {"type": "null"}


def null_member_split(schema: dict) -> dict | None:
    """`anyOf`/`oneOf: [X, {"type": "null"}]`: X, the schema the field is drawn from."""
    for keyword in ("anyOf", "oneOf"):
        members = schema.get(keyword)
        if isinstance(members, list) and len(members) == 2 and NULL_MEMBER in members:
            other = members[1 - members.index(NULL_MEMBER)]
            return other if isinstance(other, dict) else None
    return None


def nullable_of(schema: dict) -> bool:
    """Whether null is one of the property's values: `[T, "null"]`, a null member, a null choice."""
    declared = schema.get("type")
    enum = schema.get("enum")
    return ((isinstance(declared, list) and "null" in declared)
            or (isinstance(enum, list) and None in enum)
            or any(o.get("const", 0) is None for o in const_alternatives(schema) or ()))


def string_kind(schema: dict) -> str:
    return "textarea" if schema.get("maxLength", 0) > LONG_TEXT_LENGTH else "text"


# Arrays by what their items are: choices, objects (rows of a table) or single values.
ITEM_KINDS = {"object": "table", "string": "list", "integer": "list", "number": "list", "array": "list"}


def array_kind(schema: dict) -> str | None:
    if isinstance(schema.get("prefixItems"), list) and schema["prefixItems"]:
        return "tuple"
    items = schema.get("items")
    if not isinstance(items, dict):
        return None
    if choices_of(items):
        return "checkboxes"
    return ITEM_KINDS.get(value_type_of(items))


TYPE_DEFAULT_KINDS: dict[str, Callable[[dict], str | None]] = {
    "string": string_kind,
    "integer": lambda schema: "integer",
    "number": lambda schema: "number",
    "boolean": lambda schema: "checkbox",
    "object": lambda schema: "fieldset",
    "array": array_kind,
}


def hinted_kind(schema: dict) -> str | None:
    hints = schema.get(HINT_KEYWORD)
    return hints.get("widget") if isinstance(hints, dict) else None


def format_kind(schema: dict) -> str | None:
    named = schema.get("format")
    return FORMAT_KINDS.get(named) if isinstance(named, str) else None


def choice_kind(schema: dict) -> str | None:
    return "select" if choices_of(schema) else None


# Keywords that only describe: a property with nothing else says nothing about its value.
ANNOTATIONS = frozenset({"title", "description", "$comment", "examples", "readOnly", "writeOnly", "deprecated",
                         HINT_KEYWORD})


def fixed_kind(schema: dict) -> str | None:
    """A fixed value that is not a scalar choice, or a property that only describes (a title and
    a description, as forms use for a heading or a help text): shown as text, nothing to answer."""
    constant = schema.get("const", 0)
    if schema.get("type") == "null" or isinstance(constant, (dict, list)) or constant is None:
        return "info"
    return "info" if set(schema) <= ANNOTATIONS and not hinted_kind(schema) else None


def type_kind(schema: dict) -> str | None:
    rule = TYPE_DEFAULT_KINDS.get(value_type_of(schema))
    return rule(schema) if rule else None


KIND_RULES = (hinted_kind, fixed_kind, format_kind, choice_kind, type_kind)


def resolve_kind(schema: dict, pointer: str) -> str:
    kind = next(filter(None, (rule(schema) for rule in KIND_RULES)), None)
    if kind is None:
        raise SpecError(pointer, "Kan inte avgöra vilket slags fält detta är: ange type.")
    value_type = value_type_of(schema) or ("array" if kind in ("checkboxes", "table", "list", "tuple") else None)
    if kind not in KIND_TYPES:
        raise SpecError(pointer, f"Okänd fälttyp {kind!r}.")
    if value_type not in KIND_TYPES[kind]:
        raise SpecError(pointer, f"Fälttypen {kind!r} passar inte värdetypen {value_type!r}.")
    return kind


def as_schema(node) -> dict:
    """A subschema as a dict: booleans by their object spelling, anything else as no schema."""
    if isinstance(node, dict):
        return node
    return BOOLEAN_SCHEMAS.get(node, {}) if isinstance(node, bool) else {}


def lookup(resolver, ref, pointer: str):
    try:
        return resolver.lookup(ref)
    except Unresolvable:
        raise SpecError(pointer, f"$ref {ref[:80]!r} kan inte lösas upp.") from None


def follow_refs(schema, resolver, pointer: str = "", seen: frozenset = frozenset()) -> tuple[dict, Any, frozenset]:
    """The schema with its $ref chain followed; keywords beside a $ref win over the target's.
    Also returns `seen` grown by every target entered, so a field whose tree leads back to one
    of its own ancestors is recognised as recursion instead of being unfolded forever."""
    merged, chain = dict(as_schema(schema)), set()
    for _ in range(MAX_REF_CHAIN):
        ref = merged.pop("$ref", None)
        if not isinstance(ref, str):
            return merged, resolver, seen
        resolved = lookup(resolver, ref, pointer)
        if id(resolved.contents) in chain:
            raise SpecError(pointer, f"$ref {ref[:80]!r} leder runt i en cirkel och når aldrig ett schema.")
        if id(resolved.contents) in seen:
            raise SpecError(pointer, RECURSION_MESSAGE)
        chain.add(id(resolved.contents))
        seen = seen | {id(resolved.contents)}
        resolver = resolved.resolver
        merged = {**as_schema(resolved.contents), **merged}
    raise SpecError(pointer, f"För lång kedja av $ref (högst {MAX_REF_CHAIN}).")


def build_children(schema: dict, resolver, path: tuple, pointer: str, seen: frozenset = frozenset()) -> tuple:
    """The fields of an object: its properties in file order, then those that exist only under
    a condition (if/then/else, dependentSchemas, oneOf/anyOf alternatives), each placed after
    the field its condition reads and carrying that condition. Every field that cannot be
    drawn is reported, not only the first."""
    if len(path) > MAX_FIELD_DEPTH:
        raise SpecError(pointer, f"Fälten är nästlade för djupt (högst {MAX_FIELD_DEPTH} nivåer).")
    schema = with_members_followed(schema, resolver, pointer, seen) if isinstance(schema, dict) else {}
    required = set(name for name in schema.get("required", ()) if isinstance(name, str)) \
        if isinstance(schema.get("required"), list) else set()
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    properties = {name: node for name, node in properties.items() if node is not False}  # never given: no field
    # A property declared as `true` (or {}) beside a branch that describes it is the branch's:
    # it is declared only so a closed object lets it through.
    placeholders = {name for name, node in properties.items() if node is True or node == {}}
    branches = conditions.branch_properties(schema, set(properties) - placeholders)
    from_branches = {branch.name for branch in branches}
    names = [name for name in properties if name not in from_branches] + [branch.name for branch in branches]
    keys = html_keys(names)
    specs, errors = [], []
    for name, node in properties.items():
        if name in from_branches:
            continue
        try:
            specs.append(build_spec(name, node, resolver, path + (name,),
                                    f"{pointer}/properties/{escape_pointer(name)}", name in required, keys[name], seen))
        except SpecError as exc:
            errors.append(exc)
    if errors:
        raise SpecError.of_all(errors)
    for branch in branches:
        branch = replace(branch, required=branch.required or branch.name in required)
        spec = conditional_spec(branch, resolver, path, keys[branch.name], seen)
        if spec is not None:
            specs.insert(conditions.place_after(specs, branch), spec)
    return conditions.described(tuple(specs))


def conditional_spec(branch, resolver, path: tuple, key: str, seen: frozenset) -> FieldSpec | None:
    """A field that exists only under a condition; one the dialect cannot draw is left out (its
    branch still judges whatever arrives by other ways, such as the API)."""
    try:
        spec = build_spec(branch.name, branch.schema, resolver, path + (branch.name,), branch.pointer,
                          branch.required, key, seen)
    except (SpecError, LookupError, TypeError, ValueError):
        return None
    return replace(spec, visible_when=branch.condition, condition=branch.note)


def escape_pointer(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def items_of(schema: dict, resolver, pointer: str, seen: frozenset = frozenset()) -> tuple[dict, Any, frozenset]:
    """An array's items with their $ref followed (against the array's own file)."""
    if "items" not in schema:
        raise SpecError(pointer, "En lista (tabell, lista eller kryssrutor) behöver items som beskriver "
                                 "en rad eller ett val.")
    return follow_refs(schema["items"], resolver, pointer + "/items", seen)


def fieldset_children(schema: dict, resolver, path: tuple, pointer: str, seen: frozenset) -> tuple:
    return build_children(schema, resolver, path, pointer, seen)


def table_children(schema: dict, resolver, path: tuple, pointer: str, seen: frozenset) -> tuple:
    items, item_resolver, seen = items_of(schema, resolver, pointer, seen)
    children = build_children(items, item_resolver, path + ("*",), pointer + "/items", seen)
    if not children:
        raise SpecError(pointer, "En tabell behöver minst en kolumn: ange properties i items.")
    return children


def list_children(schema: dict, resolver, path: tuple, pointer: str, seen: frozenset) -> tuple:
    """A free list has one column: the item, drawn as the field its own schema makes."""
    items, item_resolver, seen = items_of(schema, resolver, pointer, seen)
    items = {"title": schema.get("title") or readable_name(path[-1] if path else ""), **items}
    # Not required: a blank row of a free list is no item at all, it is left out.
    return (build_spec(str(path[-1]) if path else "", items, item_resolver, path + ("*",), pointer + "/items",
                       False, "item", seen),)


def tuple_children(schema: dict, resolver, path: tuple, pointer: str, seen: frozenset) -> tuple:
    """A tuple's positions, each the field its own schema makes; named by position ("0", "1"),
    at the position's index in the document path, labelled by its title else "Del 1", "Del 2"."""
    minimum = schema.get("minItems", 0) if isinstance(schema.get("minItems"), int) else 0
    return tuple(
        build_spec(str(index), {"title": f"Del {index + 1}", **as_schema(item)}, resolver,
                   path + (index,), f"{pointer}/prefixItems/{index}", index < minimum, f"del{index + 1}", seen)
        for index, item in enumerate(schema["prefixItems"]))


# Kinds that contain fields; the rest are leaves.
CHILD_BUILDERS = {"fieldset": fieldset_children, "table": table_children, "list": list_children,
                  "tuple": tuple_children, "files": list_children}


def choice_source(kind: str, schema: dict, resolver, pointer: str) -> dict:
    """Where a kind's choices are listed: in the items for a checkbox group, else the schema."""
    return items_of(schema, resolver, pointer)[0] if kind == "checkboxes" else schema


def no_children(schema, resolver, path, pointer, seen) -> tuple:
    return ()


MEMBER_LISTS = ("allOf", "anyOf", "oneOf")
MEMBER_SCHEMAS = ("then", "else")


def followed_member(member, resolver, pointer: str, seen: frozenset):
    return follow_refs(member, resolver, pointer, seen)[0] if isinstance(member, dict) and "$ref" in member \
        else member


def with_members_followed(schema: dict, resolver, pointer: str = "", seen: frozenset = frozenset()) -> dict:
    """The schema with the $ref of its allOf/anyOf/oneOf members and then/else followed (one
    level), so alternatives written as `{"$ref": "#/$defs/adress"}` show their fields."""
    followed = dict(schema)
    for keyword in MEMBER_LISTS:
        members = schema.get(keyword)
        if isinstance(members, list) and any(isinstance(m, dict) and "$ref" in m for m in members):
            followed[keyword] = [followed_member(m, resolver, pointer, seen) for m in members]
    for keyword in MEMBER_SCHEMAS:
        followed[keyword] = followed_member(schema.get(keyword), resolver, pointer, seen)
    return {key: value for key, value in followed.items() if value is not None or key in schema}


SCALAR_TYPES = ("string", "integer", "number", "boolean")


def first_scalar_alternative(schema: dict) -> dict:
    """A value that may be of several types (`oneOf: [{"type": "string"}, {"type": "object"}]`,
    `"type": ["string", "boolean"]`) is drawn as its first plain alternative; jsonschema still
    judges every alternative."""
    declared = schema.get("type")
    if isinstance(declared, list) and value_type_of(schema) is None and not choices_of(schema):
        scalar = next((name for name in declared if name in SCALAR_TYPES), None)
        return {**schema, "type": [scalar, "null"] if "null" in declared else scalar} if scalar else schema
    if "type" in schema or choices_of(schema) or is_object_alternatives(schema):
        return schema
    for keyword in ("oneOf", "anyOf"):
        members = schema.get(keyword)
        scalar = next((m for m in members if isinstance(m, dict) and m.get("type") in SCALAR_TYPES), None) \
            if isinstance(members, list) else None
        if scalar is not None:
            return {**scalar, **{k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}}
    return schema


def drawn_schema(schema: dict, resolver, pointer: str, seen: frozenset) -> tuple[dict, Any, frozenset]:
    """The schema a field is drawn from: `anyOf: [X, {"type": "null"}]` draws X (the null
    member makes it nullable), the parts of an `allOf` are drawn together (see with_parts), and
    the members of allOf/anyOf/oneOf are followed through $ref; a value of several types is drawn
    as its first plain one."""
    schema = with_parts(schema, resolver, pointer, seen)
    other = null_member_split(schema)
    if other is not None:
        target, resolver, seen = follow_refs(other, resolver, pointer, seen)
        schema = {**target, **{k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}}
    schema = with_members_followed(schema, resolver, pointer, seen)
    return first_scalar_alternative(schema), resolver, seen


# When parts of an allOf bound the same thing, the field shows the tightest bound (the
# validator applies every part anyway).
TIGHTEST = {"maxLength": min, "maxItems": min, "maximum": min, "exclusiveMaximum": min,
            "minLength": max, "minItems": max, "minimum": max, "exclusiveMinimum": max}


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def merged_keyword(key: str, first, second):
    if key in TIGHTEST and is_number(first) and is_number(second):
        return TIGHTEST[key](first, second)
    if key == "properties" and isinstance(first, dict) and isinstance(second, dict):
        return {**first, **{name: {**first[name], **node} if isinstance(first.get(name), dict) and isinstance(node, dict)
                            else node for name, node in second.items()}}
    if key == "required" and isinstance(first, list) and isinstance(second, list):
        return list(dict.fromkeys(first + second))
    return second


def merged(first: dict, second: dict) -> dict:
    return {**first, **{key: merged_keyword(key, first[key], value) if key in first else value
                        for key, value in second.items()}}


# What an object's allOf parts add as fields and conditions is read by conditions.py; the
# parts are merged here only for what describes the value itself.
STRUCTURE_KEYWORDS = frozenset({"properties", "required", "if", "then", "else", "not", "dependentSchemas",
                                "dependentRequired", "allOf", "anyOf", "oneOf", "$defs", "$id"})


def with_parts(schema: dict, resolver, pointer: str, seen: frozenset) -> dict:
    """`allOf: [{$ref: base}, {maxLength: 10}]` (how XSD restrictions are written) draws as one
    schema: the parts' keywords about the value merged in order, the schema's own last; `allOf`
    itself stays, for the validator and for the fields and conditions its members declare."""
    parts = schema.get("allOf")
    if not isinstance(parts, list) or not parts:
        return schema
    drawn: dict = {}
    for part in parts:
        followed, part_resolver, part_seen = follow_refs(part, resolver, pointer, seen)
        part = with_parts(followed, part_resolver, pointer, part_seen)
        drawn = merged(drawn, {key: value for key, value in part.items() if key not in STRUCTURE_KEYWORDS})
    return merged(drawn, schema)


def kind_view(schema: dict, resolver, pointer: str, seen: frozenset) -> dict:
    """The schema with its `items` $ref followed, so an array's kind (table, list, checkboxes)
    can be read; the schema itself keeps the $ref, so a row is resolved against its own file
    and a row that contains its own table is caught as recursion."""
    if not isinstance(schema.get("items"), dict):
        return schema
    items, item_resolver, item_seen = items_of(schema, resolver, pointer, seen)
    return {**schema, "items": drawn_schema(items, item_resolver, pointer + "/items", item_seen)[0]}


def refers_back(schema: dict, resolver, seen: frozenset) -> bool:
    """Whether a schema that could not be drawn refers (a few levels down) to one of the
    schemas it sits in: then the reason is recursion, and the message says so."""
    pending = [(schema, 0)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                try:
                    if id(resolver.lookup(ref).contents) in seen:
                        return True
                except Unresolvable:
                    pass
            pending += [(child, depth + 1) for child in node.values() if depth < 4]
        elif isinstance(node, list):
            pending += [(child, depth + 1) for child in node if depth < 4]
    return False


def build_spec(name: str, node, resolver, path: tuple, pointer: str, required: bool,
               key: str = "", seen: frozenset = frozenset()) -> FieldSpec:
    if not isinstance(node, dict):
        raise SpecError(pointer, "Fältet måste beskrivas av ett schema-objekt med type.")
    count_field(pointer)
    followed, resolver, seen = follow_refs(node, resolver, pointer, seen)
    schema, resolver, seen = drawn_schema(followed, resolver, pointer, seen)
    try:
        kind = resolve_kind(kind_view(schema, resolver, pointer, seen), pointer)
    except SpecError:
        if refers_back(schema, resolver, seen):
            raise SpecError(pointer, RECURSION_MESSAGE) from None
        raise
    children = CHILD_BUILDERS.get(kind, no_children)(schema, resolver, path, pointer, seen)
    return FieldSpec(name=name, path=path, kind=kind, schema=schema, required=required,
                     children=children, choices=choices_of(choice_source(kind, schema, resolver, pointer)),
                     pointer=pointer, key=key or name,
                     nullable=nullable_of(followed) or null_member_split(followed) is not None)


def count_field(pointer: str) -> None:
    left = FIELDS_LEFT.get()
    if left is None:
        return
    left[0] -= 1
    if left[0] < 0:
        raise SpecError(pointer, f"Formuläret får högst {MAX_FIELDS} fält (räknat med varje gång en "
                                 "$ref används); dela upp det eller använd färre hänvisningar.")


def build_form_spec(schema: dict, resolver) -> tuple:
    """The top-level fields of a case type, in file order."""
    token = FIELDS_LEFT.set([MAX_FIELDS])
    try:
        return build_children(schema, resolver, (), "")
    finally:
        FIELDS_LEFT.reset(token)


def walk(specs) -> list[FieldSpec]:
    """Every spec in the tree, depth first, in display order."""
    return [item for spec in specs for item in (spec, *walk(spec.children))]
