"""A case's document tree as app.cases.documents builds it — the orderer block laid out by
app/schemas/bestallare.json and the form's content, each a section — for the renderers' tests,
which run without Flask."""
from __future__ import annotations

import functools
from pathlib import Path

from casetypes import load_forms_dir
from renderers.tree import Tree, build_section

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def orderer_type():
    return load_forms_dir(ROOT / "app" / "schemas").case_types["bestallare"]


def case_tree(orderer: dict, fields, document: dict) -> Tree:
    return Tree((build_section(orderer_type().title, orderer_type().fields, orderer, path="/orderer"),
                 build_section("Uppgifter i ärendet", fields, document)))


def orderer_labels() -> dict:
    """Property name -> the label the schema gives it."""
    return {spec.name: spec.label for spec in orderer_type().fields}
