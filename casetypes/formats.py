"""Formats of the schema dialect: the Swedish ones (personnummer, organisationsnummer,
postnummer, telefonnummer, hsa-id), a strict e-mail, and the form-friendly spelling of JSON
Schema's date-time, time and uri.

Each format has a reshaper (user input -> its canonical spelling, unjudged), a normaliser
(canonical and valid, or None) and a checker for jsonschema's FormatChecker that accepts only
canonical, valid values. Where a person can be told what to correct (a wrong check digit is a
typo, not a wrong format), the checker raises FormatRejection with the reason instead of just
saying no, and casetypes.problems words it. The
check digits come from python-stdnum (its personnummer module knows no samordningsnummer, so
the date rule is ours); we only add what it leaves open (ASCII digits, canonical
storage form, a real address for e-mail).
"""
from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from jsonschema import Draft202012Validator, FormatChecker
from stdnum import luhn
from stdnum.se import orgnr as stdnum_orgnr

# \Z, not $: Python's $ also matches before a trailing newline.
PERSONNUMMER_INPUT = re.compile(r"(?P<century>\d{2})?(?P<date>\d{6})(?P<sep>[-+]?)(?P<tail>\d{4})\Z", re.ASCII)
PERSONNUMMER_CANONICAL = re.compile(r"\d{12}\Z", re.ASCII)
ORGNR_INPUT = re.compile(r"(?P<prefix>\d{2})?(?P<head>\d{6})(?P<sep>[-+]?)(?P<tail>\d{4})\Z", re.ASCII)
LEGAL_ENTITY_PREFIX = "16"
PERSON_CENTURIES = ("18", "19", "20")
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
    return canonical if is_personnummer(canonical, today) else None


class FormatRejection(ValueError):
    """Why a value is not of its format, as a word (`reason`) that casetypes.problems turns into
    the Swedish message; raised by a format checker, it reaches the error as jsonschema's
    ValidationError.cause."""

    def __init__(self, format_name: str, reason: str):
        super().__init__(f"{format_name}: {reason}")
        self.format_name, self.reason = format_name, reason


def personnummer_problem(value, today: date | None = None) -> str | None:
    """None for a valid canonical personnummer, else why not: "form" (not 12 ASCII digits),
    "date" (no such day; a samordningsnummer carries the day + 60), "future" (not born yet),
    "serial" (födelsenummer 000 is never issued) or "check-digit" (Luhn)."""
    if not isinstance(value, str) or not PERSONNUMMER_CANONICAL.match(value):
        return "form"
    born = real_birth_date(value)
    if born is None:
        return "date"
    if born > (today or date.today()):
        return "future"
    if value[8:11] == "000":
        return "serial"
    return None if luhn.is_valid(value[2:]) else "check-digit"


def is_personnummer(value, today: date | None = None) -> bool:
    return personnummer_problem(value, today) is None


def reshape_organisationsnummer(text: str) -> str | None:
    """The XXXXXX-XXXX spelling of what was typed, valid or not; None if not of that shape.
    A sole trader's number is their personnummer, so it may be typed as one: with the century
    (ÅÅÅÅMMDD-XXXX, which is not kept: an organisationsnummer has ten digits) or with "+" (100
    years or older). A legal entity's number may carry its prefix 16."""
    match = ORGNR_INPUT.match(text.strip(INPUT_BLANKS)) if isinstance(text, str) else None
    if not match:
        return None
    person = is_dated(match["head"])
    prefixes = PERSON_CENTURIES if person else (LEGAL_ENTITY_PREFIX,)
    if match["prefix"] not in (None, *prefixes) or (match["sep"] == "+" and not person):
        return None
    return f"{match['head']}-{match['tail']}"


def normalize_organisationsnummer(text: str) -> str | None:
    """Return ÅÅMMDD-XXXX / XXXXXX-XXXX of a valid organisationsnummer, else None."""
    canonical = reshape_organisationsnummer(text)
    return canonical if is_organisationsnummer(canonical) else None


def is_dated(digits: str) -> bool:
    """Whether a number starts with a date (third digit 0 or 1: a month), as a personnummer
    does; a legal entity's third digit is 2 or more."""
    return int(digits[2]) < 2


def is_sole_trader_number(digits: str) -> bool:
    """A sole trader's organisationsnummer is their personnummer: a real date is required."""
    return any(is_personnummer(century + digits) for century in PERSON_CENTURIES)


def organisationsnummer_problem(value) -> str | None:
    """None for a valid canonical organisationsnummer, else why not: "form" (not XXXXXX-XXXX),
    "check-digit" (Luhn), or "person" (a sole trader's number that is no valid personnummer)."""
    if not isinstance(value, str) or not ORGNR_CANONICAL.match(value):
        return "form"
    digits = value.replace("-", "")
    if not stdnum_orgnr.is_valid(digits):
        return "check-digit"
    return None if not is_dated(digits) or is_sole_trader_number(digits) else "person"


def is_organisationsnummer(value) -> bool:
    """Canonical XXXXXX-XXXX with a valid check digit; a legal entity (third digit >= 2)
    or a sole trader whose number is a valid personnummer."""
    return organisationsnummer_problem(value) is None


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
    return is_plain_address(value)


@lru_cache(maxsize=4096)  # the same addresses come back (an orderer's, a team's): the verdict is kept
def is_plain_address(value: str) -> bool:
    if any(ch in value for ch in "\r\n,;<>\"\\ "):
        return False
    try:
        validate_email(value, check_deliverability=False, allow_display_name=False)
    except EmailNotValidError:
        return False
    return True


# --- postnummer: "NNN NN", five digits, never starting with 0 ---------------------------------

POSTNUMMER_INPUT = re.compile(r"(?:SE-?)?(?P<head>\d{3}) ?(?P<tail>\d{2})\Z", re.ASCII | re.IGNORECASE)
POSTNUMMER_CANONICAL = re.compile(r"[1-9]\d{2} \d{2}\Z", re.ASCII)


def reshape_postnummer(text: str) -> str | None:
    match = POSTNUMMER_INPUT.match(text.strip(INPUT_BLANKS)) if isinstance(text, str) else None
    return f"{match['head']} {match['tail']}" if match else None


def is_postnummer(value) -> bool:
    return isinstance(value, str) and bool(POSTNUMMER_CANONICAL.match(value))


# --- telefonnummer: any number phonenumbers finds valid, Swedish when no country code -------
# Stored in E.164 ("+46701234567"): one spelling per number, whatever the person typed.

PHONE_REGION = "SE"
PHONE_MAX_INPUT = 40


def parsed_phone(text: str):
    if not isinstance(text, str) or len(text) > PHONE_MAX_INPUT:
        return None
    try:
        return phonenumbers.parse(text, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None


def reshape_telefonnummer(text: str) -> str | None:
    number = parsed_phone(text)
    if number is None or not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_telefonnummer(value) -> bool:
    number = parsed_phone(value) if isinstance(value, str) and value.startswith("+") else None
    return (number is not None and phonenumbers.is_valid_number(number)
            and phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == value)


def display_telefonnummer(value: str) -> str:
    """Swedish numbers as Swedes write them (070-123 45 67), others internationally."""
    number = parsed_phone(value)
    if number is None:
        return value
    style = (phonenumbers.PhoneNumberFormat.NATIONAL if phonenumbers.region_code_for_number(number) == PHONE_REGION
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, style)


# --- hsa-id: SE + the catalogue owner's organisationsnummer (10 digits) + "-" + A-Z a-z 0-9 ---
# Inera: at least one character after the dash, no å/ä/ö or @, at most 31 characters in all.

HSA_ID_INPUT = re.compile(r"(?P<country>se)(?P<orgnr>\d{10})-(?P<local>[A-Za-z0-9]+)\Z", re.ASCII | re.IGNORECASE)
HSA_ID_MAX_LENGTH = 31


def reshape_hsa_id(text: str) -> str | None:
    match = HSA_ID_INPUT.match(text.strip(INPUT_BLANKS)) if isinstance(text, str) else None
    return f"SE{match['orgnr']}-{match['local']}" if match else None


def is_hsa_id(value) -> bool:
    if not isinstance(value, str) or len(value) > HSA_ID_MAX_LENGTH or not value.startswith("SE"):
        return False
    match = HSA_ID_INPUT.match(value)
    return bool(match) and luhn.is_valid(match["orgnr"])


# --- date-time and time: what a browser's inputs post, in Swedish time ----------------------
# <input type="datetime-local"> posts "2026-03-01T09:30" without an offset; it means Swedish
# time, stored as RFC 3339 with the offset of that moment ("2026-03-01T09:30:00+01:00").
# <input type="time"> posts "09:30", stored as "09:30:00" (a time of day; no offset is known).

SWEDISH_TIME = ZoneInfo("Europe/Stockholm")
LOCAL_DATETIME_INPUT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?\Z", re.ASCII)
LOCAL_TIME_INPUT = re.compile(r"(?P<hm>\d{2}:\d{2})(?P<s>:\d{2}(\.\d+)?)?(?P<offset>Z|[+-]\d{2}:\d{2})?\Z",
                              re.ASCII | re.IGNORECASE)


def reshape_datetime(text: str) -> str | None:
    """A browser's local date and time as RFC 3339 in Swedish time; a value with an offset as
    the same moment in Swedish time; None if it is neither."""
    text = text.strip(INPUT_BLANKS) if isinstance(text, str) else ""
    try:
        moment = datetime.fromisoformat(text) if len(text) <= 40 else None
    except ValueError:
        return None
    if moment is None or not (LOCAL_DATETIME_INPUT.match(text) or moment.tzinfo):
        return None
    local = moment.replace(tzinfo=SWEDISH_TIME) if moment.tzinfo is None else moment.astimezone(SWEDISH_TIME)
    return local.isoformat()


def local_datetime_text(value) -> str:
    """What <input type="datetime-local"> shows for a stored date-time: Swedish wall time."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    local = moment.astimezone(SWEDISH_TIME) if moment.tzinfo else moment
    return local.replace(tzinfo=None).isoformat()


def reshape_time(text: str) -> str | None:
    match = LOCAL_TIME_INPUT.match(text.strip(INPUT_BLANKS)) if isinstance(text, str) else None
    if not match:
        return None
    return match["hm"] + (match["s"] or ":00") + (match["offset"] or "").upper()


def is_local_time(value) -> bool:
    """RFC 3339 partial-time (a time of day, "09:30:00"), or full-time with an offset."""
    if not isinstance(value, str) or not LOCAL_TIME_INPUT.match(value) or value.count(":") < 2:
        return False
    try:
        datetime.strptime(value[:8], "%H:%M:%S")
    except ValueError:
        return False
    return FORMAT_CHECKER_2020.conforms(value, "time") if LOCAL_TIME_INPUT.match(value)["offset"] else True


def reshape_uri(text: str) -> str | None:
    return text.strip(INPUT_BLANKS) if isinstance(text, str) else None


FORMAT_CHECKER_2020 = Draft202012Validator.FORMAT_CHECKER


# One entry per format: how form input is spelled canonically (without judging it, so each
# value is checked once, by jsonschema), and how jsonschema judges a stored value.
RESHAPERS = {
    "personnummer": reshape_personnummer,
    "organisationsnummer": reshape_organisationsnummer,
    "email": reshape_email,
    "postnummer": reshape_postnummer,
    "telefonnummer": reshape_telefonnummer,
    "hsa-id": reshape_hsa_id,
    "date-time": reshape_datetime,
    "time": reshape_time,
    "uri": reshape_uri,
}

# date-time and uri are judged by jsonschema's own checkers (rfc3339-validator,
# rfc3986-validator); "time" also takes a time of day without an offset.
CHECKS = {
    "personnummer": is_personnummer,
    "organisationsnummer": is_organisationsnummer,
    "email": is_email,
    "postnummer": is_postnummer,
    "telefonnummer": is_telefonnummer,
    "hsa-id": is_hsa_id,
    "time": is_local_time,
}


# Formats whose checker says why a value fails, so the message can say what to correct.
PROBLEMS = {
    "personnummer": personnummer_problem,
    "organisationsnummer": organisationsnummer_problem,
}


def explaining(name: str, problem_of):
    """A FormatChecker function that raises FormatRejection with the reason; jsonschema's own
    FormatChecker.checks(raises=…) hands it on as the error's cause."""
    def check(value) -> bool:
        reason = problem_of(value)
        if reason is not None:
            raise FormatRejection(name, reason)
        return True
    return check


def make_format_checker() -> FormatChecker:
    """jsonschema's own checkers (date, ...) with ours taking over email and adding the Swedish ones."""
    checker = FormatChecker(formats=Draft202012Validator.FORMAT_CHECKER.checkers)
    for name, check in CHECKS.items():
        problem_of = PROBLEMS.get(name)
        if problem_of is None:
            checker.checks(name)(check)
        else:
            checker.checks(name, raises=FormatRejection)(explaining(name, problem_of))
    return checker


FORMAT_CHECKER = make_format_checker()
