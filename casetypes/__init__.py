"""The pure core of case types: loading schema files, checking them against our dialect,
bundling shared fragments, compiling validators and turning their errors into Swedish problems.

Nothing here imports Flask, peewee or WTForms, so it can be used and tested alone.
"""
from .loader import CaseType, LoadReport, case_type_from_frozen, load_forms_dir  # noqa: F401
from .problems import Problem  # noqa: F401
