"""Conditional fields: properties that exist only under a condition of their object —
`if`/`then`/`else`, `dependentSchemas`, or one of several object alternatives in `oneOf`/`anyOf`
told apart by a constant ("discriminator") property.

Each such property becomes a field carrying `visible_when`, a JSON Schema its object must
match for the field to apply. That one schema serves everywhere: jsonschema evaluates it on the
server to drop answers in inactive branches before judging (nothing from a hidden branch is
stored), the form says in words when to fill the field in ("Fyll i om …"), and a simple
condition (one field equal to one of some values) is handed to the browser script, which shows
and hides the field as the person answers.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

ALTERNATIVE_KEYWORDS = ("oneOf", "anyOf")


@dataclass(frozen=True)
class Branch:
    name: str
    schema: Any
    condition: dict
    required: bool
    pointer: str
    triggers: tuple  # the sibling names the condition reads, for placing the field after them
    note: str = ""  # when nothing decides it: the alternative it belongs to, in words
    always: bool = False  # declared by an allOf member: it applies with every other declaration


# --- collecting ----------------------------------------------------------------------------

def as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def names_read_by(condition) -> tuple:
    """The property names a condition schema tests."""
    condition = as_dict(condition)
    if not condition:
        return ()
    names = list(as_dict(condition.get("properties"))) + [
        name for name in condition.get("required", ()) if isinstance(name, str)]
    names += names_read_by(condition.get("not"))
    for keyword in ("anyOf", "allOf", "oneOf"):
        for member in condition.get(keyword, ()) if isinstance(condition.get(keyword), list) else ():
            names += names_read_by(member)
    return tuple(dict.fromkeys(names))


def subschemas_of(schema: dict) -> list[tuple[dict, str]]:
    """The object schema and the members of its allOf/anyOf/oneOf, where conditions live."""
    found = [(schema, "")]
    for keyword in ("allOf", *ALTERNATIVE_KEYWORDS):
        members = schema.get(keyword)
        for index, member in enumerate(members if isinstance(members, list) else ()):
            if isinstance(member, dict):
                found.append((member, f"/{keyword}/{index}"))
    return found


def all_of_properties(schema: dict) -> list[Branch]:
    """Properties an allOf member declares: they always apply, as if the object declared them."""
    members = schema.get("allOf")
    return [replace(branch, always=True) for index, member in enumerate(members if isinstance(members, list) else ())
            for branch in branch_fields(member, {}, f"/allOf/{index}")]


def branch_fields(node, condition: dict, pointer: str) -> list[Branch]:
    node = as_dict(node)
    required = node.get("required") if isinstance(node.get("required"), list) else []
    return [Branch(name, schema, condition, name in required, f"{pointer}/properties/{name}",
                   names_read_by(condition))
            for name, schema in as_dict(node.get("properties")).items()]


def if_then_else(schema: dict, pointer: str) -> list[Branch]:
    test = schema.get("if")
    if not isinstance(test, dict):
        return []
    return (branch_fields(schema.get("then"), test, f"{pointer}/then")
            + branch_fields(schema.get("else"), {"not": test}, f"{pointer}/else"))


def dependent_schemas(schema: dict, pointer: str) -> list[Branch]:
    return [field
            for trigger, node in as_dict(schema.get("dependentSchemas")).items()
            for field in branch_fields(node, {"required": [trigger]}, f"{pointer}/dependentSchemas/{trigger}")]


def constant_of(node):
    """The one value a property schema allows (`const`, or an `enum` of one), else a marker."""
    node = as_dict(node)
    if "const" in node:
        return node["const"]
    enum = node.get("enum")
    return enum[0] if isinstance(enum, list) and len(enum) == 1 else NO_CONSTANT


NO_CONSTANT = object()


def discriminator_of(alternatives: list) -> str | None:
    """A property every alternative gives a different constant: the choice between them."""
    shared = set.intersection(*(set(as_dict(alt.get("properties"))) for alt in alternatives))
    for name in sorted(shared):
        values = [constant_of(alt["properties"][name]) for alt in alternatives]
        if all(value is not NO_CONSTANT for value in values) and len(set(map(repr, values))) == len(values):
            return name
    return None


def discriminator_branch(name: str, alternatives: list, pointer: str) -> Branch:
    """The choice between alternatives, when no property of the object itself offers it."""
    choices = [{"const": constant_of(alt["properties"][name]),
                "title": alt.get("title") or as_dict(alt["properties"][name]).get("title")
                or str(constant_of(alt["properties"][name]))}
               for alt in alternatives]
    first = as_dict(alternatives[0]["properties"][name])
    schema = {"oneOf": choices, "x-ui": {"widget": "radio"},
              **{key: first[key] for key in ("title", "description") if key in first}}
    required = all(name in (alt.get("required") or ()) for alt in alternatives)
    return Branch(name, schema, {}, required, f"{pointer}/0/properties/{name}", ())


def object_alternatives(schema: dict, pointer: str, base: set) -> list[Branch]:
    found: list[Branch] = []
    for keyword in ALTERNATIVE_KEYWORDS:
        members = schema.get(keyword)
        alternatives = [m for m in members if isinstance(m, dict) and isinstance(m.get("properties"), dict)] \
            if isinstance(members, list) else []
        if len(alternatives) < 2 or len(alternatives) != len(members):
            continue
        chooser = discriminator_of(alternatives)
        if chooser is None:
            # Nothing tells the alternatives apart: all their fields are offered, and jsonschema
            # judges which alternative the answers make.
            # Required in one alternative is not required of the form, so no field is starred;
            # each field says which alternative it belongs to.
            found += [replace(branch, required=False, note=f"du väljer {alternative_title(alt, index)}")
                      for index, alt in enumerate(alternatives)
                      for branch in branch_fields(alt, {}, f"{pointer}/{keyword}/{index}")]
            continue
        if chooser not in base:
            found.append(discriminator_branch(chooser, alternatives, f"{pointer}/{keyword}"))
        for index, alt in enumerate(alternatives):
            condition = {"properties": {chooser: {"const": constant_of(alt["properties"][chooser])}},
                         "required": [chooser]}
            found += [branch for branch in branch_fields(alt, condition, f"{pointer}/{keyword}/{index}")
                      if branch.name != chooser]
    return found


def branch_properties(schema: dict, base: set) -> list[Branch]:
    """Every property of an object that only a condition brings in, one Branch per name; a
    name brought in by several branches applies when any of their conditions holds."""
    branches: list[Branch] = all_of_properties(schema) + object_alternatives(schema, "", base)
    for node, pointer in subschemas_of(schema):
        branches += if_then_else(node, pointer) + dependent_schemas(node, pointer)
    merged: dict[str, Branch] = {}
    for branch in branches:
        if branch.name in base:
            continue
        earlier = merged.get(branch.name)
        merged[branch.name] = branch if earlier is None else either(earlier, branch)
    return list(merged.values())


def alternative_title(alternative: dict, index: int) -> str:
    title = alternative.get("title")
    return f"alternativet {title}" if isinstance(title, str) and title else f"alternativ {index + 1}"


def either(first: Branch, second: Branch) -> Branch:
    if first.always and second.always and isinstance(first.schema, dict) and isinstance(second.schema, dict):
        # Two allOf members describe the same property: both hold, so it is drawn from both.
        return replace(first, schema={**first.schema, **second.schema}, required=first.required or second.required)
    if not first.condition or not second.condition:
        # A field of several alternatives (or of none in particular) belongs to no one of them.
        return replace(first, condition={}, note="" if first.note != second.note else first.note)
    members = first.condition.get("anyOf", [first.condition]) if set(first.condition) == {"anyOf"} \
        else [first.condition]
    return replace(first, condition={"anyOf": [*members, second.condition]},
                   required=first.required and second.required,
                   triggers=tuple(dict.fromkeys(first.triggers + second.triggers)))


def place_after(specs: list, branch: Branch) -> int:
    """Where a conditional field goes: after the last field it depends on (and after the other
    fields that depend on the same), else at the end."""
    positions = [index for index, spec in enumerate(specs)
                 if spec.name in branch.triggers or (spec.visible_when and branch.triggers
                                                     and set(names_read_by(spec.visible_when)) & set(branch.triggers))]
    return max(positions) + 1 if positions else len(specs)


# --- describing ----------------------------------------------------------------------------

def value_text(spec, value) -> str:
    if spec is not None:
        titled = next((choice.title for choice in spec.choices if choice.value == value
                       and isinstance(choice.value, bool) == isinstance(value, bool)), None)
        if titled is not None:
            return titled
    return {True: "Ja", False: "Nej"}.get(value, str(value)) if isinstance(value, bool) else str(value)


def property_text(name: str, node, siblings: dict) -> str | None:
    spec = siblings.get(name)
    label = spec.label if spec is not None else name
    value = constant_of(node)
    if value is not NO_CONSTANT:
        return f"{label} är {value_text(spec, value)}"
    enum = as_dict(node).get("enum")
    if isinstance(enum, list) and enum:
        return f"{label} är {' eller '.join(value_text(spec, item) for item in enum)}"
    return None


def condition_text(condition, siblings: dict) -> str | None:
    """The condition in Swedish, or None when it is more than the form can say simply."""
    condition = as_dict(condition)
    if set(condition) == {"anyOf"} and isinstance(condition["anyOf"], list):
        parts = [condition_text(member, siblings) for member in condition["anyOf"]]
        return " eller ".join(parts) if all(parts) else None
    if set(condition) == {"not"}:
        inner = condition_text(condition["not"], siblings)
        return f"inte {inner}" if inner else None
    if not set(condition) <= {"properties", "required"}:
        return None
    properties = as_dict(condition.get("properties"))
    parts = [property_text(name, node, siblings) for name, node in properties.items()]
    answered = [name for name in condition.get("required", ()) if name not in properties]
    parts += [f"{(siblings[name].label if name in siblings else name)} är ifyllt" for name in answered]
    return " och ".join(parts) if parts and all(parts) else None


def described(specs: tuple) -> tuple:
    """The fields with their conditions in words and, where simple, as a rule for the browser."""
    siblings = {spec.name: spec for spec in specs}
    return tuple(
        replace(spec, condition=condition_text(spec.visible_when, siblings) or "ett villkor i formuläret gäller",
                client_rule=client_rule(spec.visible_when, siblings))
        if spec.visible_when else spec
        for spec in specs)


def client_rule(condition, siblings: dict) -> tuple | None:
    rule = simple_rule(condition)
    if rule is None or rule[0] not in siblings:
        return None
    name, values, negated, when_blank = rule
    return siblings[name].key, tuple(values), negated, when_blank


# --- for the browser -------------------------------------------------------------------------

def simple_rule(condition) -> tuple | None:
    """(sibling name, the values that show the field, negated, holds when that field is not
    answered) for a condition on one field's value; None when the browser script should leave
    the field shown. JSON Schema's `properties` holds for an absent property, hence the last."""
    condition = as_dict(condition)
    if set(condition) == {"not"}:
        inner = simple_rule(condition["not"])
        return (inner[0], inner[1], not inner[2], inner[3]) if inner else None
    if set(condition) == {"anyOf"} and isinstance(condition["anyOf"], list):
        rules = [simple_rule(member) for member in condition["anyOf"]]
        if rules and all(rules) and len({rule[0] for rule in rules}) == 1 and not any(rule[2] for rule in rules):
            return (rules[0][0], [value for rule in rules for value in rule[1]], False,
                    any(rule[3] for rule in rules))
        return None
    properties = as_dict(condition.get("properties"))
    if not set(condition) <= {"properties", "required"} or len(properties) != 1:
        return None
    (name, node), = properties.items()
    required = condition.get("required", [])
    if not isinstance(required, list) or set(required) - {name}:
        return None
    value = constant_of(node)
    enum = as_dict(node).get("enum")
    values = [value] if value is not NO_CONSTANT else (list(enum) if isinstance(enum, list) else None)
    return (name, values, False, name not in required) if values else None


# --- judging ---------------------------------------------------------------------------------

def active_answers(specs: tuple, value, holds: Callable[[dict, Any], bool]):
    """The document without answers to fields whose condition does not hold; `holds(schema,
    object)` is jsonschema's verdict. Conditions are read in field order on what is left, so a
    field that depends on a dropped one is dropped too."""
    if not isinstance(value, dict):
        return value
    kept = dict(value)
    for spec in specs:
        if spec.name not in kept:
            continue
        if spec.visible_when and not holds(spec.visible_when, kept):
            del kept[spec.name]
            continue
        kept[spec.name] = CHILD_ANSWERS.get(spec.kind, leaf_answers)(spec, kept[spec.name], holds)
    return kept


def leaf_answers(spec, value, holds):
    return value


def row_answers(spec, value, holds):
    return [active_answers(spec.children, row, holds) for row in value] if isinstance(value, list) else value


def section_answers(spec, value, holds):
    return active_answers(spec.children, value, holds)


CHILD_ANSWERS = {"fieldset": section_answers, "table": row_answers}
