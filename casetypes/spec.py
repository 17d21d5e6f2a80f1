"""The field tree of a case type: every property resolved ($ref followed, hints read, kind
decided) into a FieldSpec that forms, renderers and error messages share.

Kind resolution follows one order, as react-jsonschema-form does: an explicit "x-ui" widget,
then the format, then a list of choices, then the JSON type's default.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Any, Callable

from . import conditions
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
    nullable: bool = False  # null is a value it takes: an empty answer is stored as null
    visible_when: Any = None  # a schema its object must match for it to apply (see conditions)
    condition: str = ""  # that condition in Swedish, for the line "Fyll i om …"
    client_rule: Any = None  # (sibling key, values, negated) when the browser can judge it

    @property
    def label(self) -> str:
        return self.schema.get("title") or readable_name(self.name)

    @property
    def read_only(self) -> bool:
        return self.schema.get("readOnly") is True

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

def const_alternatives(schema: dict) -> list | None:
    """The alternatives of `oneOf`/`anyOf: [{const, title}, …]`, if the schema lists choices so."""
    for keyword in ("oneOf", "anyOf"):
        alternatives = schema.get(keyword)
        if isinstance(alternatives, list) and alternatives and all(
                isinstance(o, dict) and "const" in o for o in alternatives):
            return alternatives
    return None


def choice_title(value) -> str:
    return {True: "Ja", False: "Nej"}.get(value, str(value)) if isinstance(value, bool) else str(value)


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
    else:
        return ()
    return tuple(choice for choice in choices if choice.value is not None)


PYTHON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number"}


def value_type_of(schema: dict) -> str | None:
    """The JSON type of a property (null aside), inferred from its choices when it names none."""
    declared = schema.get("type")
    if isinstance(declared, list):
        named = [name for name in declared if name != "null"]
        return named[0] if len(named) == 1 else None
    if declared is not None:
        return declared
    names = {PYTHON_TYPES.get(type(choice.value)) for choice in choices_of(schema)}
    return names.pop() if len(names) == 1 else None


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
ITEM_KINDS = {"object": "table", "string": "list", "integer": "list", "number": "list"}


def array_kind(schema: dict) -> str | None:
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
    value_type = value_type_of(schema) or ("array" if kind in ("checkboxes", "table", "list") else None)
    if kind not in KIND_TYPES:
        raise SpecError(pointer, f"Okänd fälttyp {kind!r}.")
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
    """The fields of an object: its properties in file order, then those that exist only under
    a condition (if/then/else, dependentSchemas, oneOf/anyOf alternatives), each placed after
    the field its condition reads and carrying that condition."""
    schema = schema if isinstance(schema, dict) else {}
    required = set(schema.get("required", ()) if isinstance(schema.get("required"), list) else ())
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    # A property declared as `true` (or {}) beside a branch that describes it is the branch's:
    # it is declared only so a closed object lets it through.
    placeholders = {name for name, node in properties.items() if node is True or node == {}}
    branches = conditions.branch_properties(schema, set(properties) - placeholders)
    from_branches = {branch.name for branch in branches}
    names = [name for name in properties if name not in from_branches] + [branch.name for branch in branches]
    keys = html_keys(names)
    specs = [build_spec(name, node, resolver, path + (name,), f"{pointer}/properties/{escape_pointer(name)}",
                        name in required, keys[name])
             for name, node in properties.items() if name not in from_branches]
    for branch in branches:
        spec = conditional_spec(branch, resolver, path, keys[branch.name])
        if spec is not None:
            specs.insert(conditions.place_after(specs, branch), spec)
    return conditions.described(tuple(specs))


def conditional_spec(branch, resolver, path: tuple, key: str) -> FieldSpec | None:
    """A field that exists only under a condition; one the dialect cannot draw is left out (its
    branch still judges whatever arrives by other ways, such as the API)."""
    try:
        spec = build_spec(branch.name, branch.schema, resolver, path + (branch.name,), branch.pointer,
                          branch.required, key)
    except (SpecError, LookupError, TypeError, ValueError):
        return None
    return replace(spec, visible_when=branch.condition)


def escape_pointer(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def fieldset_children(schema: dict, resolver, path: tuple, pointer: str) -> tuple:
    return build_children(schema, resolver, path, pointer)


def table_children(schema: dict, resolver, path: tuple, pointer: str) -> tuple:
    items, item_resolver = follow_refs(schema["items"], resolver)
    return build_children(items, item_resolver, path + ("*",), pointer + "/items")


def list_children(schema: dict, resolver, path: tuple, pointer: str) -> tuple:
    """A free list has one column: the item, drawn as the field its own schema makes."""
    items, item_resolver = follow_refs(schema["items"], resolver)
    items = {"title": schema.get("title") or readable_name(path[-1] if path else ""), **items}
    return (build_spec(str(path[-1]) if path else "", items, item_resolver, path + ("*",), pointer + "/items",
                       True, "item"),)


# Kinds that contain fields; the rest are leaves.
CHILD_BUILDERS = {"fieldset": fieldset_children, "table": table_children, "list": list_children}


def choice_source(kind: str, schema: dict, resolver) -> dict:
    """Where a kind's choices are listed: in the items for a checkbox group, else the schema."""
    return follow_refs(schema["items"], resolver)[0] if kind == "checkboxes" else schema


def no_children(schema, resolver, path, pointer) -> tuple:
    return ()


def drawn_schema(schema: dict, resolver) -> tuple[dict, Any]:
    """The schema a field is drawn from: `anyOf: [X, {"type": "null"}]` draws X (the null
    member makes it nullable), and array items are followed through their $ref."""
    other = null_member_split(schema)
    if other is not None:
        target, resolver = follow_refs(other, resolver)
        schema = {**target, **{k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}}
    items = schema.get("items")
    if isinstance(items, dict) and "$ref" in items:
        schema = {**schema, "items": follow_refs(items, resolver)[0]}
    return schema, resolver


def build_spec(name: str, node: dict, resolver, path: tuple, pointer: str, required: bool,
               key: str = "") -> FieldSpec:
    if not isinstance(node, dict):
        raise SpecError(pointer, "Fältet måste beskrivas av ett schema-objekt.")
    followed, resolver = follow_refs(node, resolver)
    schema, resolver = drawn_schema(followed, resolver)
    kind = resolve_kind(schema, pointer)
    children = CHILD_BUILDERS.get(kind, no_children)(schema, resolver, path, pointer)
    return FieldSpec(name=name, path=path, kind=kind, schema=schema, required=required,
                     children=children, choices=choices_of(choice_source(kind, schema, resolver)),
                     pointer=pointer, key=key or name,
                     nullable=nullable_of(followed) or null_member_split(followed) is not None)


def build_form_spec(schema: dict, resolver) -> tuple:
    """The top-level fields of a case type, in file order."""
    return build_children(schema, resolver, (), "")


def walk(specs) -> list[FieldSpec]:
    """Every spec in the tree, depth first, in display order."""
    return [item for spec in specs for item in (spec, *walk(spec.children))]
