"""Swedish formats of the schema dialect: personnummer, organisationsnummer and a strict e-mail.

Each format has a reshaper (user input -> its canonical spelling, unjudged), a normaliser
(canonical and valid, or None) and a checker for jsonschema's FormatChecker that accepts only
canonical, valid values. The
check digits come from python-stdnum (its personnummer module knows no samordningsnummer, so
the date rule is ours); we only add what it leaves open (ASCII digits, canonical
storage form, a real address for e-mail).
"""
from __future__ import annotations

import re
from datetime import date

from email_validator import EmailNotValidError, validate_email
from jsonschema import Draft202012Validator, FormatChecker
from stdnum import luhn
from stdnum.se import orgnr as stdnum_orgnr

# \Z, not $: Python's $ also matches before a trailing newline.
PERSONNUMMER_INPUT = re.compile(r"(?P<century>\d{2})?(?P<date>\d{6})(?P<sep>[-+]?)(?P<tail>\d{4})\Z", re.ASCII)
PERSONNUMMER_CANONICAL = re.compile(r"\d{12}\Z", re.ASCII)
ORGNR_INPUT = re.compile(r"(?:16)?(?P<head>\d{6})-?(?P<tail>\d{4})\Z", re.ASCII)
ORGNR_CANONICAL = re.compile(r"\d{6}-\d{4}\Z", re.ASCII)
EMAIL_MAX_LENGTH = 254
# Spaces a person may type around a value; line breaks are never trimmed away, they are errors.
INPUT_BLANKS = " \t"


def guess_century(yymmdd: str, plus: bool, today: date) -> str:
    """The century of a 10-digit personnummer (Folkbokföringslagen §18): with '-' the person
    is under 100 in the current year, and '+' takes the separator the year they turn 100."""
    year = int(yymmdd[:2])
    born = today.year - (today.year - year) % 100
    if plus:
        born -= 100
    return str(born)[:2]


def real_birth_date(digits: str) -> date | None:
    """The date in a 12-digit number; a samordningsnummer carries the day plus 60."""
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
    try:
        return date(year, month, day - 60 if day > 60 else day)
    except ValueError:
        return None


def reshape_personnummer(text: str, today: date | None = None) -> str | None:
    """The 12-digit ÅÅÅÅMMDDXXXX spelling of what was typed, valid or not; None if it has not
    the shape of a personnummer at all. Whether it is valid is the format checker's call."""
    match = PERSONNUMMER_INPUT.match(text.strip(INPUT_BLANKS)) if isinstance(text, str) else None
    if not match:
        return None
    century = match["century"] or guess_century(match["date"], match["sep"] == "+", today or date.today())
    return century + match["date"] + match["tail"]


def normalize_personnummer(text: str, today: date | None = None) -> str | None:
    """Return the 12-digit ÅÅÅÅMMDDXXXX form of a valid personnummer, else None."""
    canonical = reshape_personnummer(text, today)
    return canonical if is_personnummer(canonical) else None


def is_personnummer(value) -> bool:
    """Canonical 12 ASCII digits, a real date (samordningsnummer: day + 60), Luhn check digit."""
    if not isinstance(value, str) or not PERSONNUMMER_CANONICAL.match(value):
        return False
    return real_birth_date(value) is not None and luhn.is_valid(value[2:])


def reshape_organisationsnummer(text: str) -> str | None:
    """The XXXXXX-XXXX spelling of what was typed, valid or not; None if not of that shape."""
    match = ORGNR_INPUT.match(text.strip(INPUT_BLANKS)) if isinstance(text, str) else None
    return f"{match['head']}-{match['tail']}" if match else None


def normalize_organisationsnummer(text: str) -> str | None:
    """Return ÅÅMMDD-XXXX / XXXXXX-XXXX of a valid organisationsnummer, else None."""
    canonical = reshape_organisationsnummer(text)
    return canonical if is_organisationsnummer(canonical) else None


def is_sole_trader_number(digits: str) -> bool:
    """A sole trader's organisationsnummer is their personnummer: a real date is required."""
    return any(is_personnummer(century + digits) for century in ("18", "19", "20"))


def is_organisationsnummer(value) -> bool:
    """Canonical XXXXXX-XXXX with a valid check digit; a legal entity (third digit >= 2)
    or a sole trader whose number is a valid personnummer."""
    if not isinstance(value, str) or not ORGNR_CANONICAL.match(value):
        return False
    digits = value.replace("-", "")
    if not stdnum_orgnr.is_valid(digits):
        return False
    return int(digits[2]) >= 2 or is_sole_trader_number(digits)


def reshape_email(text: str) -> str | None:
    return text.strip(INPUT_BLANKS) if isinstance(text, str) else None


def normalize_email(text: str) -> str | None:
    """Return the address trimmed, or None if it is not one plain address."""
    candidate = reshape_email(text)
    return candidate if is_email(candidate) else None


def is_email(value) -> bool:
    """One plain address: no display name, no line breaks, at most 254 characters, a domain with a dot."""
    if not isinstance(value, str) or len(value) > EMAIL_MAX_LENGTH or value != value.strip():
        return False
    if any(ch in value for ch in "\r\n,;<>\"\\ "):
        return False
    try:
        validate_email(value, check_deliverability=False, allow_display_name=False)
    except EmailNotValidError:
        return False
    return True


# One entry per format: how form input is spelled canonically (without judging it, so each
# value is checked once, by jsonschema), and how jsonschema judges a stored value.
RESHAPERS = {
    "personnummer": reshape_personnummer,
    "organisationsnummer": reshape_organisationsnummer,
    "email": reshape_email,
}

CHECKS = {
    "personnummer": is_personnummer,
    "organisationsnummer": is_organisationsnummer,
    "email": is_email,
}


def make_format_checker() -> FormatChecker:
    """jsonschema's own checkers (date, ...) with ours taking over email and adding the Swedish ones."""
    checker = FormatChecker(formats=Draft202012Validator.FORMAT_CHECKER.checkers)
    for name, check in CHECKS.items():
        checker.checks(name)(check)
    return checker


FORMAT_CHECKER = make_format_checker()
