"""The field tree of a case type: every property resolved ($ref followed, hints read, kind
decided) into a FieldSpec that forms, renderers and error messages share.

Kind resolution follows one order, as react-jsonschema-form does: an explicit "x-ui" widget,
then the format, then a list of choices, then the JSON type's default.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from referencing.exceptions import Unresolvable

from .dialect import FORMAT_KINDS, HINT_KEYWORD, KIND_TYPES, LONG_TEXT_LENGTH

# How deep fields may nest (a fieldset in a table in a fieldset ...), and how long a chain of
# $ref may be: both far beyond any real form, and they keep a hostile file from taking the
# stack or the CPU.
MAX_FIELD_DEPTH = 12
MAX_REF_CHAIN = 32
RECURSION_MESSAGE = ("Rekursiva träd stöds inte: fältet hänvisar (via $ref) till sig självt. "
                     "Använd en tabell (en lista av objekt) i stället.")
# Boolean subschemas read as their object spelling, so the rest of the engine sees only dicts.
BOOLEAN_SCHEMAS = {True: {}, False: {"not": {}}}


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
        return cls(*found[0], found=found)


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

    @property
    def label(self) -> str:
        return self.schema.get("title") or self.name

    @property
    def help(self) -> str:
        return self.schema.get("description", "")

    @property
    def hints(self) -> dict:
        return self.schema.get(HINT_KEYWORD, {})

    @property
    def default(self):
        return self.schema.get("default")

    def child(self, name: str) -> "FieldSpec":
        return next(spec for spec in self.children if spec.name == name)


def choices_of(schema: dict) -> tuple:
    """Labelled choices from `oneOf: [{const, title}]`, or plain `enum` values."""
    if "oneOf" in schema and all(isinstance(o, dict) and "const" in o for o in schema["oneOf"]):
        return tuple(Choice(o["const"], o.get("title", str(o["const"]))) for o in schema["oneOf"])
    if "enum" in schema:
        return tuple(Choice(value, str(value)) for value in schema["enum"])
    return ()


def as_schema(node) -> dict:
    """A subschema as a dict: booleans by their object spelling, anything else as no schema."""
    if isinstance(node, dict):
        return node
    return BOOLEAN_SCHEMAS.get(node, {}) if isinstance(node, bool) else {}


def declared_type(schema: dict) -> str | None:
    """The one JSON type a schema names; "null" beside it only makes the answer optional."""
    named = schema["type"]
    if isinstance(named, str):
        return named
    others = [name for name in named if name != "null"] if isinstance(named, list) else []
    return others[0] if len(others) == 1 and isinstance(others[0], str) else None


def value_type_of(schema: dict) -> str | None:
    """The JSON type of a property, inferred from its choices when it names none."""
    if "type" in schema:
        return declared_type(schema)
    values = [choice.value for choice in choices_of(schema)]
    python_types = {str: "string", bool: "boolean", int: "integer", float: "number"}
    names = {python_types.get(type(value)) for value in values}
    return names.pop() if len(names) == 1 else None


def string_kind(schema: dict) -> str:
    return "textarea" if schema.get("maxLength", 0) > LONG_TEXT_LENGTH else "text"


def array_kind(schema: dict) -> str | None:
    items = as_schema(schema.get("items"))
    if choices_of(items):
        return "checkboxes"
    return "table" if "properties" in items or value_type_of(items) == "object" else None


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


def type_kind(schema: dict) -> str | None:
    rule = TYPE_DEFAULT_KINDS.get(value_type_of(schema))
    return rule(schema) if rule else None


KIND_RULES = (hinted_kind, format_kind, choice_kind, type_kind)


def resolve_kind(schema: dict, pointer: str) -> str:
    kind = next(filter(None, (rule(schema) for rule in KIND_RULES)), None)
    if kind not in KIND_TYPES:
        raise SpecError(pointer, "Kan inte avgöra vilket slags fält detta är: ange type.")
    value_type = value_type_of(schema) or ("array" if kind in ("checkboxes", "table") else None)
    if value_type not in KIND_TYPES[kind]:
        raise SpecError(pointer, f"Fälttypen {kind!r} passar inte värdetypen {value_type!r}.")
    return kind


def lookup(resolver, ref, pointer: str):
    try:
        return resolver.lookup(ref)
    except Unresolvable:
        raise SpecError(pointer, f"$ref {ref!r} kan inte lösas upp.") from None


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
            raise SpecError(pointer, f"$ref {ref!r} leder runt i en cirkel och når aldrig ett schema.")
        if id(resolved.contents) in seen:
            raise SpecError(pointer, RECURSION_MESSAGE)
        chain.add(id(resolved.contents))
        seen = seen | {id(resolved.contents)}
        resolver = resolved.resolver
        merged = {**as_schema(resolved.contents), **merged}
    raise SpecError(pointer, f"För lång kedja av $ref (högst {MAX_REF_CHAIN}).")


def property_pointer(pointer: str, name: str) -> str:
    return f"{pointer}/properties/{name.replace('~', '~0').replace('/', '~1')}"


def build_children(schema: dict, resolver, path: tuple, pointer: str, seen: frozenset = frozenset()) -> tuple:
    if len(path) > MAX_FIELD_DEPTH:
        raise SpecError(pointer, f"Fälten är nästlade för djupt (högst {MAX_FIELD_DEPTH} nivåer).")
    required = schema.get("required", ())
    required = set(name for name in required if isinstance(name, str)) if isinstance(required, list) else set()
    properties = schema.get("properties", {})
    specs, errors = [], []
    for name, node in (properties.items() if isinstance(properties, dict) else ()):
        if node is False:  # a property that may never be given is not a field
            continue
        try:
            specs.append(build_spec(name, node, resolver, path + (name,), property_pointer(pointer, name),
                                    name in required, seen))
        except SpecError as exc:
            errors.append(exc)
    if errors:
        raise SpecError.of_all(errors)
    return tuple(specs)


def fieldset_children(schema: dict, resolver, path: tuple, pointer: str, seen: frozenset) -> tuple:
    return build_children(schema, resolver, path, pointer, seen)


def items_of(schema: dict, resolver, pointer: str, seen: frozenset = frozenset()):
    if "items" not in schema:
        raise SpecError(pointer, "En lista (tabell eller kryssrutor) behöver items som beskriver en rad eller ett val.")
    return follow_refs(schema["items"], resolver, pointer + "/items", seen)


def table_children(schema: dict, resolver, path: tuple, pointer: str, seen: frozenset) -> tuple:
    items, item_resolver, seen = items_of(schema, resolver, pointer, seen)
    children = build_children(items, item_resolver, path + ("*",), pointer + "/items", seen)
    if not children:
        raise SpecError(pointer, "En tabell behöver minst en kolumn: ange properties i items.")
    return children


# Kinds that contain fields; the rest are leaves.
CHILD_BUILDERS = {"fieldset": fieldset_children, "table": table_children}


def choice_source(kind: str, schema: dict, resolver, pointer: str) -> dict:
    """Where a kind's choices are listed: in the items for a checkbox group, else the schema."""
    return items_of(schema, resolver, pointer)[0] if kind == "checkboxes" else schema


def no_children(schema, resolver, path, pointer, seen) -> tuple:
    return ()


def kind_view(schema: dict, resolver, pointer: str, seen: frozenset) -> dict:
    """The schema with its `items` $ref followed, so an array's kind (table, checkboxes) can be
    read; the schema itself keeps the $ref, so a row is resolved against its own file."""
    if not isinstance(schema.get("items"), dict) or "$ref" not in schema["items"]:
        return schema
    return {**schema, "items": items_of(schema, resolver, pointer, seen)[0]}


def build_spec(name: str, node, resolver, path: tuple, pointer: str, required: bool,
               seen: frozenset = frozenset()) -> FieldSpec:
    schema, resolver, seen = follow_refs(node, resolver, pointer, seen)
    kind = resolve_kind(kind_view(schema, resolver, pointer, seen), pointer)
    children = CHILD_BUILDERS.get(kind, no_children)(schema, resolver, path, pointer, seen)
    return FieldSpec(name=name, path=path, kind=kind, schema=schema, required=required,
                     children=children, choices=choices_of(choice_source(kind, schema, resolver, pointer)),
                     pointer=pointer)


def build_form_spec(schema: dict, resolver) -> tuple:
    """The top-level fields of a case type, in file order."""
    return build_children(schema, resolver, (), "")


def walk(specs) -> list[FieldSpec]:
    """Every spec in the tree, depth first, in display order."""
    return [item for spec in specs for item in (spec, *walk(spec.children))]
