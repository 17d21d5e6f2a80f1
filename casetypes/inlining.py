"""The copy of a case type's bundle that the validator judges: plain `$ref`s written out in place.

jsonschema follows a `$ref` on every judgement: it joins the URIs, looks the target up in the
registry, wraps it as a resource and builds a child validator — for a SITHS order once per row
and judgement. A `$ref` whose target holds no `$ref` of its own (once its own are written out)
and shares no keyword with the schema beside it means the same as the two merged into one
object, so the validator is given that merged copy; the keywords keep the order they are
judged in, so errors come in the same order too.

What is not merged is left as written, so the copy always means what the file says:
- a target that still refers on (a cycle, a recursive tree, a reference too deep to follow);
- a keyword on both sides (two `type`s, two `required`s: judging both is not one object);
- keywords that read each other (`properties` beside `additionalProperties`, `if` beside `then`,
  `contains` beside `minContains`, `prefixItems` beside `items`) split between the two sides;
- a target judged by what else is evaluated (`unevaluatedProperties`/`Items`) beside keywords
  that would then count as evaluated;
- "x-ui" with its own error texts: a message is looked up on the schema object that failed,
  and the merged object would lend one side's texts to the other's keywords.
Annotations (`title`, `description`, …) judge nothing: the referring side's are kept.

The copy is for judging only: the form, the detail view, the PDF and the frozen text are drawn
from the bundle as written. tests/test_inlining.py checks that both give the same errors.
"""
from __future__ import annotations

from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from .dialect import HINT_KEYWORD
from .normalize import LISTED_SUBSCHEMAS, MAPPED_SUBSCHEMAS, SINGLE_SUBSCHEMAS

ANNOTATIONS = frozenset({"title", "description", "$comment", "examples", "default", "readOnly", "writeOnly",
                         "deprecated"})
# Keywords of the target that place or name it, not judge: the merged copy needs none of them
# (nothing in a merged target refers anywhere, so its base URI and anchors play no part).
PLACING = frozenset({"$id", "$anchor", "$defs", "$schema"})
READ_TOGETHER = (frozenset({"properties", "patternProperties", "additionalProperties"}),
                 frozenset({"prefixItems", "items"}), frozenset({"if", "then", "else"}),
                 frozenset({"contains", "minContains", "maxContains"}))
SEES_SIBLINGS = frozenset({"unevaluatedProperties", "unevaluatedItems"})
# A copy many times larger than the file (a target referred to from many places, each of which
# refers on twice …) is not worth judging: the validator would walk all of it on every judgement,
# where following the references walks the file once.
GROWTH_LIMIT = 4


def inlined(schema: dict, resolver) -> dict:
    """The bundle with every `$ref` that can be merged merged; the bundle itself when the copy
    would grow past GROWTH_LIMIT times the file, or when references lead deeper than Python's
    recursion allows (the loader's bounds allow 32 steps of 100 levels)."""
    try:
        copy = Inliner().expand(schema, resolver)[0]
    except RecursionError:
        return schema
    return copy if within(copy, GROWTH_LIMIT * size(schema)) else schema


def subschemas_of(node, judged_only: bool = True) -> list:
    """The subschemas directly under a schema object (those in $defs too unless judged_only)."""
    if not isinstance(node, dict):
        return []
    found = []
    for key, value in node.items():
        if key in SINGLE_SUBSCHEMAS:
            found.append(value)
        elif key in MAPPED_SUBSCHEMAS and isinstance(value, dict) and not (judged_only and key == "$defs"):
            found.extend(value.values())
        elif key in LISTED_SUBSCHEMAS and isinstance(value, list):
            found.extend(value)
    return [child for child in found if isinstance(child, dict)]


def size(schema: dict) -> int:
    """How many schema objects the file holds."""
    count, pending = 0, [schema]
    while pending:
        count += 1
        pending.extend(subschemas_of(pending.pop(), judged_only=False))
    return count


def within(copy: dict, limit: int) -> bool:
    """Whether the validator reaches at most `limit` schema objects in the copy, found without
    walking further than that: a target merged in many places is reached once per place."""
    count, pending = 0, [copy]
    while pending and count <= limit:
        count += 1
        pending.extend(subschemas_of(pending.pop()))
    return count <= limit and not pending


def has_own_messages(node: dict) -> bool:
    hints = node.get(HINT_KEYWORD)
    return isinstance(hints, dict) and bool(hints.get("errors"))


def mergeable(referring: dict, target) -> bool:
    """Whether `{**referring, $ref → target}` judges exactly as the target beside the referring keywords."""
    if not isinstance(target, dict) or has_own_messages(target) or has_own_messages(referring):
        return False
    own = referring.keys() - {"$ref"} - ANNOTATIONS
    theirs = target.keys() - PLACING - ANNOTATIONS
    if own & theirs or (own and SEES_SIBLINGS & theirs):
        return False
    return not any(own & group and theirs & group for group in READ_TOGETHER)


def merged(referring: dict, target: dict) -> dict:
    """The two as one object, the target's keywords where the `$ref` stood."""
    result: dict = {}
    for key, value in referring.items():
        if key != "$ref":
            result[key] = value
            continue
        for their_key, their_value in target.items():
            if their_key not in PLACING and their_key not in referring:
                result[their_key] = their_value
    return result


class Inliner:
    """Writes out the references of one bundle; each target is expanded once, however often it
    is referred to, and one met again while it is being expanded (a cycle) is left as a `$ref`."""

    def __init__(self) -> None:
        self.expanded: dict[int, tuple] = {}  # id(target) -> (copy, whether it still refers)
        self.expanding: set[int] = set()

    def expand(self, node, resolver) -> tuple:
        """(copy of node with its references merged where they can be, whether the copy still
        holds a `$ref`)."""
        if not isinstance(node, dict):
            return node, False
        if isinstance(node.get("$id"), str):
            resolver = resolver.in_subresource(DRAFT202012.create_resource(node))
        copy, refers = self.children(node, resolver)
        if not isinstance(node.get("$ref"), str):
            return copy, refers
        target = self.target(node["$ref"], resolver)
        if target is None or target[1] or not mergeable(copy, target[0]):
            return copy, True
        return merged(copy, target[0]), refers

    def children(self, node: dict, resolver) -> tuple:
        """The node with its subschemas expanded. $defs stays as written: it is judged only
        through a `$ref`, and a merged one has its target expanded where it now stands, while
        one left as written reads the written target."""
        copy, refers = dict(node), False
        for key, value in node.items():
            if key in SINGLE_SUBSCHEMAS:
                copy[key], deeper = self.expand(value, resolver)
                refers |= deeper
            elif key in MAPPED_SUBSCHEMAS and key != "$defs" and isinstance(value, dict):
                expanded = {name: self.expand(child, resolver) for name, child in value.items()}
                copy[key] = {name: child for name, (child, _) in expanded.items()}
                refers |= any(deeper for _, deeper in expanded.values())
            elif key in LISTED_SUBSCHEMAS and isinstance(value, list):
                expanded_list = [self.expand(child, resolver) for child in value]
                copy[key] = [child for child, _ in expanded_list]
                refers |= any(deeper for _, deeper in expanded_list)
        return copy, refers

    def target(self, ref: str, resolver) -> tuple | None:
        """(expanded target, whether it still refers), or None when it cannot be looked up."""
        try:
            found = resolver.lookup(ref)
        except Unresolvable:
            return None
        key = id(found.contents)
        if key in self.expanding:
            return None  # a cycle: leave it to the validator, which follows it as written
        if key not in self.expanded:
            self.expanding.add(key)
            try:
                self.expanded[key] = self.expand(found.contents, found.resolver)
            finally:
                self.expanding.discard(key)
        return self.expanded[key]
