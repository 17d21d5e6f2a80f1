"""The only package that imports WTForms: schema-derived form classes, binding, the JSON
document a bound form becomes, and repeatable rows that work without JavaScript.
"""
from .caseform import CaseForm, bind, blank, judge, rejected  # noqa: F401
from .kinds import FIELD_KINDS  # noqa: F401
