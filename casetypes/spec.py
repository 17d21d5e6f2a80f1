"""The field tree of a case type: every property resolved ($ref followed, hints read, kind
decided) into a FieldSpec that forms, renderers and error messages share.

Kind resolution follows one order, as react-jsonschema-form does: an explicit "x-ui" widget,
then the format, then a list of choices, then the JSON type's default.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable

from .dialect import FORMAT_KINDS, HINT_KEYWORD, KIND_TYPES, LONG_TEXT_LENGTH, RESERVED_KEYS


class SpecError(ValueError):
    """A property the dialect cannot turn into a field; carries the schema pointer."""

    def __init__(self, pointer: str, message: str):
        super().__init__(message)
        self.pointer = pointer
        self.message = message


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

    @property
    def label(self) -> str:
        return self.schema.get("title") or readable_name(self.name)

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

def choices_of(schema: dict) -> tuple:
    """Labelled choices from `oneOf: [{const, title}]`, or plain `enum` values."""
    if "oneOf" in schema and all(isinstance(o, dict) and "const" in o for o in schema["oneOf"]):
        return tuple(Choice(o["const"], o.get("title", str(o["const"]))) for o in schema["oneOf"])
    if "enum" in schema:
        return tuple(Choice(value, str(value)) for value in schema["enum"])
    return ()


def value_type_of(schema: dict) -> str | None:
    """The JSON type of a property, inferred from its choices when it names none."""
    if "type" in schema:
        return schema["type"]
    values = [choice.value for choice in choices_of(schema)]
    python_types = {str: "string", bool: "boolean", int: "integer", float: "number"}
    names = {python_types.get(type(value)) for value in values}
    return names.pop() if len(names) == 1 else None


def string_kind(schema: dict) -> str:
    return "textarea" if schema.get("maxLength", 0) > LONG_TEXT_LENGTH else "text"


def array_kind(schema: dict) -> str | None:
    items = schema.get("items", {})
    if choices_of(items):
        return "checkboxes"
    return "table" if items.get("type") == "object" else None


TYPE_DEFAULT_KINDS: dict[str, Callable[[dict], str | None]] = {
    "string": string_kind,
    "integer": lambda schema: "integer",
    "number": lambda schema: "number",
    "boolean": lambda schema: "checkbox",
    "object": lambda schema: "fieldset",
    "array": array_kind,
}


def hinted_kind(schema: dict) -> str | None:
    return schema.get(HINT_KEYWORD, {}).get("widget")


def format_kind(schema: dict) -> str | None:
    return FORMAT_KINDS.get(schema.get("format"))


def choice_kind(schema: dict) -> str | None:
    return "select" if choices_of(schema) else None


def type_kind(schema: dict) -> str | None:
    rule = TYPE_DEFAULT_KINDS.get(value_type_of(schema))
    return rule(schema) if rule else None


KIND_RULES = (hinted_kind, format_kind, choice_kind, type_kind)


def resolve_kind(schema: dict, pointer: str) -> str:
    kind = next(filter(None, (rule(schema) for rule in KIND_RULES)), None)
    if kind is None:
        raise SpecError(pointer, "Kan inte avgöra vilket slags fält detta är: ange type.")
    value_type = value_type_of(schema) or ("array" if kind in ("checkboxes", "table") else None)
    if value_type not in KIND_TYPES[kind]:
        raise SpecError(pointer, f"Fälttypen {kind!r} passar inte värdetypen {value_type!r}.")
    return kind


def follow_refs(schema: dict, resolver) -> tuple[dict, Any]:
    """The schema with its $ref chain followed; keywords beside a $ref win over the target's."""
    merged = dict(schema)
    while "$ref" in merged:
        resolved = resolver.lookup(merged.pop("$ref"))
        resolver = resolved.resolver
        merged = {**resolved.contents, **merged}
    return merged, resolver


def build_children(schema: dict, resolver, path: tuple, pointer: str) -> tuple:
    required = set(schema.get("required", ()))
    properties = schema.get("properties", {})
    keys = html_keys(list(properties))
    return tuple(
        build_spec(name, node, resolver, path + (name,), f"{pointer}/properties/{escape_pointer(name)}",
                   name in required, keys[name])
        for name, node in properties.items()
    )


def escape_pointer(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def fieldset_children(schema: dict, resolver, path: tuple, pointer: str) -> tuple:
    return build_children(schema, resolver, path, pointer)


def table_children(schema: dict, resolver, path: tuple, pointer: str) -> tuple:
    items, item_resolver = follow_refs(schema["items"], resolver)
    return build_children(items, item_resolver, path + ("*",), pointer + "/items")


# Kinds that contain fields; the rest are leaves.
CHILD_BUILDERS = {"fieldset": fieldset_children, "table": table_children}


def choice_source(kind: str, schema: dict, resolver) -> dict:
    """Where a kind's choices are listed: in the items for a checkbox group, else the schema."""
    return follow_refs(schema["items"], resolver)[0] if kind == "checkboxes" else schema


def no_children(schema, resolver, path, pointer) -> tuple:
    return ()


def build_spec(name: str, node: dict, resolver, path: tuple, pointer: str, required: bool,
               key: str = "") -> FieldSpec:
    schema, resolver = follow_refs(node, resolver)
    kind = resolve_kind(schema, pointer)
    children = CHILD_BUILDERS.get(kind, no_children)(schema, resolver, path, pointer)
    return FieldSpec(name=name, path=path, kind=kind, schema=schema, required=required,
                     children=children, choices=choices_of(choice_source(kind, schema, resolver)),
                     pointer=pointer, key=key or name)


def build_form_spec(schema: dict, resolver) -> tuple:
    """The top-level fields of a case type, in file order."""
    return build_children(schema, resolver, (), "")


def walk(specs) -> list[FieldSpec]:
    """Every spec in the tree, depth first, in display order."""
    return [item for spec in specs for item in (spec, *walk(spec.children))]
