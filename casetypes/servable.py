"""Checks on a case type's field tree, so that everything `forms check` accepts can be served:
each rule looks at the fields as the form will use them ($ref followed, siblings merged) and
returns (pointer, message) for what would break a page or let input run unbounded.

They run when a file is loaded from forms/, never on a frozen copy: a case filed under an
older version must always open, whatever these rules become.
"""
from __future__ import annotations

from typing import Callable, Iterable

import regex
from jsonschema import Draft202012Validator
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from .dialect import SELF_BOUNDED_FORMATS
from .metacheck import shorten
from .spec import FieldSpec, value_type_of, walk
from .steps import step_problems

TYPE_CHECKER = Draft202012Validator.TYPE_CHECKER
BRANCH_KEYWORDS = ("if", "then", "else", "not")
BRANCH_LISTS = ("allOf", "anyOf", "oneOf")
CONTRADICTIONS = (("minLength", "maxLength"), ("minItems", "maxItems"), ("minimum", "maximum"))
STRING_KINDS_WITHOUT_BOUND = frozenset({"text", "textarea", "email"})


def branches(node: dict) -> list:
    found = [node.get(key) for key in BRANCH_KEYWORDS]
    found += [member for key in BRANCH_LISTS if isinstance(node.get(key), list) for member in node[key]]
    dependent = node.get("dependentSchemas")
    found += list(dependent.values()) if isinstance(dependent, dict) else []
    return [branch for branch in found if isinstance(branch, dict)]


def mentioned_names(node: dict) -> set:
    """Every name an object's required/dependentRequired mention, its branches included."""
    required = node.get("required")
    names = {name for name in required if isinstance(name, str)} if isinstance(required, list) else set()
    dependent = node.get("dependentRequired")
    for target, deps in (dependent.items() if isinstance(dependent, dict) else ()):
        names.update([target, *(dep for dep in deps if isinstance(dep, str))] if isinstance(deps, list) else [target])
    for branch in branches(node):
        names |= mentioned_names(branch)
    return names


def declared_names(node: dict) -> set:
    """Every property an object declares, in its own properties or in a branch."""
    properties = node.get("properties")
    names = set(properties) if isinstance(properties, dict) else set()
    for branch in branches(node):
        names |= declared_names(branch)
    return names


def objects_of(schema: dict, fields: tuple) -> list:
    """(pointer, object schema) of the form itself and of each fieldset and table row."""
    rows = [(spec.pointer, spec.schema if spec.kind == "fieldset" else spec.schema.get("items"))
            for spec in walk(fields) if spec.children and spec.kind != "files"]  # a file is no row
    return [("", schema), *((pointer, node) for pointer, node in rows if isinstance(node, dict) and "$ref" not in node)]


def unknown_required(schema: dict, fields: tuple) -> Iterable:
    for pointer, node in objects_of(schema, fields):
        for missing in sorted(mentioned_names(node) - declared_names(node)):
            yield pointer, f"{shorten(missing)} nämns i required men finns inte i properties."


def no_fields(schema: dict, fields: tuple) -> Iterable:
    if not fields:
        yield "", "Ärendetypen har inga fält: ange dem under properties."


def unbounded_fields(schema: dict, fields: tuple) -> Iterable:
    """Every answer is bounded (security checklist D1): free text by maxLength, lists by maxItems."""
    for spec in walk(fields):
        free_text = (value_type_of(spec.schema) == "string" and not spec.choices
                     and spec.schema.get("format") not in SELF_BOUNDED_FORMATS and "const" not in spec.schema)
        if free_text and "maxLength" not in spec.schema:
            yield spec.pointer, "Fältet saknar maxLength (den längsta text som tas emot)."
        if spec.kind in ("checkboxes", "table") and "maxItems" not in spec.schema:
            yield spec.pointer, "Listan saknar maxItems (det största antalet rader eller val)."


def contradicting_bounds(schema: dict, fields: tuple) -> Iterable:
    for spec in walk(fields):
        for low, high in CONTRADICTIONS:
            least, most = spec.schema.get(low), spec.schema.get(high)
            if is_number(least) and is_number(most) and least > most:
                yield spec.pointer, f"{low} ({least}) är större än {high} ({most}); inget svar kan uppfylla båda."


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def choiceless(schema: dict, fields: tuple) -> Iterable:
    for spec in walk(fields):
        if spec.kind in ("select", "radio", "checkboxes") and not spec.choices:
            yield spec.pointer, (f"Fälttypen {spec.kind!r} behöver val: enum, eller oneOf med const och title"
                                 + (" i items." if spec.kind == "checkboxes" else "."))


def expected_types(spec: FieldSpec) -> set:
    named = spec.schema.get("type")
    if isinstance(named, list):
        return set(named)
    value_type = value_type_of(spec.schema)
    return {value_type} if value_type else set()


def default_fits(spec: FieldSpec) -> bool:
    """A default of the field's JSON type (a list for checkboxes, of objects for a table)."""
    value, types = spec.default, expected_types(spec)
    if spec.kind in ("checkboxes", "table"):
        row = dict if spec.kind == "table" else (str, int, float, bool)
        return isinstance(value, list) and all(isinstance(item, row) for item in value)
    return not types or any(TYPE_CHECKER.is_type(value, name) for name in types if isinstance(name, str))


def wrong_defaults(schema: dict, fields: tuple) -> Iterable:
    for spec in walk(fields):
        if "default" in spec.schema and not default_fits(spec):
            yield spec.pointer + "/default", (f"Standardvärdet {shorten(spec.default)} har fel typ för fältet "
                                              f"({spec.kind}).")


def patterns_in(node, pointer: str = "") -> Iterable:
    """(pointer, pattern) of every `pattern` and patternProperties key anywhere in a schema."""
    pending = [(node, pointer)]
    while pending:
        node, pointer = pending.pop()
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                yield pointer + "/pattern", node["pattern"]
            if isinstance(node.get("patternProperties"), dict):
                yield from ((pointer + "/patternProperties", key) for key in node["patternProperties"])
            pending += [(value, f"{pointer}/{key}") for key, value in node.items() if isinstance(value, (dict, list))]
        elif isinstance(node, list):
            pending += [(value, f"{pointer}/{index}") for index, value in enumerate(node)]


def bad_patterns(schema: dict, fields: tuple) -> Iterable:
    """Patterns are judged by the regex module at run time (see validator.py); one it cannot
    read would break the form."""
    for pointer, pattern in patterns_in(schema):
        try:
            regex.compile(pattern)
        except regex.error as exc:
            where = f" (fel vid tecken {exc.pos + 1})" if exc.pos is not None else ""
            yield pointer, f"Ogiltigt reguljärt uttryck {shorten(pattern)}{where}."
        except (RecursionError, OverflowError, ValueError):
            yield pointer, f"Ogiltigt reguljärt uttryck {shorten(pattern)}."


def unshown(schema: dict, fields: tuple) -> list:
    """Notes for properties an object declares (in a branch too) that the form does not draw:
    they still judge what arrives, but nobody can fill them in, so the administrator is told."""
    found = []
    for pointer, node in objects_of(schema, fields):
        drawn = {spec.name for spec in fields} if pointer == "" else {
            child.name for spec in walk(fields) if spec.pointer == pointer for child in spec.children}
        found += [(pointer, f"Fältet {shorten(name)} kan inte visas i formuläret och lämnas utanför.")
                  for name in sorted(declared_names(node) - drawn)]
    return found


# One entry per rule; each gives (pointer, message) pairs.
CHECKS: dict[str, Callable[[dict, tuple], Iterable]] = {
    "no-fields": no_fields,
    "unknown-required": unknown_required,
    "unbounded": unbounded_fields,
    "contradictions": contradicting_bounds,
    "choiceless": choiceless,
    "defaults": wrong_defaults,
    "patterns": bad_patterns,
    "steps": step_problems,
}


def unservable(schema: dict, fields: tuple) -> list:
    found: dict = {}
    for check in CHECKS.values():
        for problem in check(schema, fields):
            found.setdefault(problem, None)
    return list(found)


# --- references: every $ref resolves, and none leads round to where it started ------------

SAME_INSTANCE_LISTS = ("allOf", "anyOf", "oneOf")
SAME_INSTANCE_SINGLES = ("if", "then", "else", "not")
CYCLE_MESSAGE = ("$ref leder runt i en cirkel utan att gå ned i dokumentet (till exempel ett schema som "
                 "hänvisar till sig självt); ett sådant schema kan aldrig prövas.")


def structure(schema, resolver):
    """(node, pointer, resolver) of every subschema object in a bundle, in document order,
    each with the resolver its $ref are read against (an embedded file has its own base)."""
    pending = [(schema, "", resolver)]
    while pending:
        node, pointer, resolver = pending.pop()
        if isinstance(node, dict):
            if isinstance(node.get("$id"), str) and pointer:
                resolver = resolver.in_subresource(DRAFT202012.create_resource(node))
            yield node, pointer, resolver
            pending += [(value, f"{pointer}/{escape_key(key)}", resolver) for key, value in reversed(node.items())
                        if isinstance(value, (dict, list)) and key not in ("enum", "const", "default", "examples")]
        elif isinstance(node, list):
            pending += [(value, f"{pointer}/{index}", resolver) for index, value in reversed(list(enumerate(node)))]


def escape_key(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def same_instance_children(node: dict) -> list:
    """Subschemas that judge the same value as their parent (so a loop among them never ends)."""
    found = [node.get(key) for key in SAME_INSTANCE_SINGLES]
    found += [m for key in SAME_INSTANCE_LISTS if isinstance(node.get(key), list) for m in node[key]]
    dependent = node.get("dependentSchemas")
    found += list(dependent.values()) if isinstance(dependent, dict) else []
    return [child for child in found if isinstance(child, dict)]


def reference_problems(schema: dict, resolver) -> list:
    """Refs that cannot be resolved, and loops of $ref (through allOf, if, not …) that would
    send the validator round for ever."""
    problems, edges, pointers = [], {}, {}
    for node, pointer, node_resolver in structure(schema, resolver):
        pointers[id(node)] = pointer
        targets = same_instance_children(node)
        if isinstance(node.get("$ref"), str):
            try:
                targets.append(node_resolver.lookup(node["$ref"]).contents)
            except Unresolvable:
                problems.append((pointer + "/$ref", f"$ref {shorten(node['$ref'])} kan inte lösas upp."))
        edges[id(node)] = [id(target) for target in targets if isinstance(target, dict)]
    cycle = first_cycle(edges)
    if cycle is not None:
        problems.append((pointers.get(cycle, ""), CYCLE_MESSAGE))
    return problems


def first_cycle(edges: dict):
    """A node on a cycle of the graph, or None (iterative depth-first search)."""
    state: dict = {}
    for start in edges:
        if start in state:
            continue
        stack = [(start, iter(edges.get(start, ())))]
        state[start] = "open"
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = "done"
                stack.pop()
            elif state.get(child) == "open":
                return node
            elif child not in state:
                state[child] = "open"
                stack.append((child, iter(edges.get(child, ()))))
    return None
