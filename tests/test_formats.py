"""Swedish formats: personnummer, organisationsnummer and strict e-mail (DESIGN §3, security D2–D4)."""
import json
import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from casetypes import load_forms_dir
from casetypes.formats import (
    FORMAT_CHECKER,
    is_email,
    is_organisationsnummer,
    is_personnummer,
    normalize_email,
    normalize_organisationsnummer,
    normalize_personnummer,
    personnummer_problem,
)
from tests.conftest import FIXTURES, KITCHEN_SINK_DIR

TODAY = date(2026, 11, 29)
GOLDEN = json.loads((FIXTURES / "kitchen-sink-golden.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def kitchen_sink_type():
    return load_forms_dir(KITCHEN_SINK_DIR).case_types["kitchen-sink"]


def messages_for(case_type, field: str, typed: str) -> list[str]:
    """The messages the form shows next to `field` when `typed` is posted in it."""
    from webforms import bind
    from webforms.caseform import to_formdata
    formdata = to_formdata(case_type.fields, GOLDEN)
    formdata.setlist(field, [typed])
    caseform = bind(case_type, formdata)
    caseform.validate()
    return caseform.errors_by_name().get(field, [])


def with_check_digit(first_nine_after_century: str) -> str:
    return first_nine_after_century + luhn.calc_check_digit(first_nine_after_century)


@pytest.mark.parametrize("typed, canonical", [
    ("191212121212", "191212121212"),
    ("19121212-1212", "191212121212"),
    ("121212-1212", "201212121212"),      # '-': under 100 this year
    ("121212+1212", "191212121212"),      # '+' means 100 years or older
    ("1212121212", "201212121212"),
    (" 19121212-1212 ", "191212121212"),   # spaces around what was typed are forgiven
])
def test_personnummer_inputs_normalise_to_twelve_digits(typed, canonical):
    assert normalize_personnummer(typed, TODAY) == canonical


@pytest.mark.parametrize("typed", [
    "191212121213",            # wrong check digit
    "191302301234",            # no such date
    "191212121212\n",          # trailing newline: Python's $ would accept it
    "١٩١٢١٢١٢١٢١٢",            # Arabic-Indic digits: int() would accept them
    "19121212 1212",
    "",
    "12345",
])
def test_bad_personnummer_are_refused(typed):
    assert normalize_personnummer(typed, TODAY) is None
    assert not is_personnummer(typed)


def test_samordningsnummer_day_plus_sixty_is_accepted():
    number = "19" + with_check_digit("701063239")  # born 1970-10-03, day 63 = 3 + 60
    assert is_personnummer(number)
    assert normalize_personnummer(number[2:8] + "-" + number[8:], TODAY) == number


def test_the_plus_sign_comes_the_year_a_person_turns_100():
    number = with_check_digit("261128123")  # born yesterday, or 100 years ago
    assert normalize_personnummer(number[:6] + "-" + number[6:], TODAY) == "20" + number
    assert normalize_personnummer(number[:6] + "+" + number[6:], TODAY) == "19" + number


@pytest.mark.parametrize("body, reason", [
    ("121212000", "serial"),  # födelsenummer 000 is never issued
    ("261130123", "future"),  # tomorrow
    ("301212123", "future"),
    ("121272123", "serial-free"),  # samordningsnummer day 72 = the 12th: valid
    ("121292123", "date"),  # day 92 - 60 = 32
])
def test_serial_000_and_future_birth_dates_are_refused(body, reason):
    canonical = "20" + with_check_digit(body) if body[0] in "23" else "19" + with_check_digit(body)
    assert personnummer_problem(canonical, TODAY) == (None if reason == "serial-free" else reason)
    assert (normalize_personnummer(canonical, TODAY) is None) == (reason != "serial-free")


@pytest.mark.parametrize("value, reason", [
    ("19121212-1212", "form"), ("1912121212", "form"), ("١٩١٢١٢١٢١٢١٢", "form"),
    ("191302301234", "date"), ("191212121213", "check-digit"), ("191212120006", "serial"),
])
def test_a_personnummer_is_refused_for_a_reason(value, reason):
    assert personnummer_problem(value, TODAY) == reason


@pytest.mark.parametrize("typed, message", [
    ("19121212-1213", "Kontrollsiffran stämmer inte. Kontrollera personnumret."),
    ("1212121213", "Kontrollsiffran stämmer inte. Kontrollera personnumret."),
    ("19121212-12", "Ange ett giltigt personnummer, 12 siffror ÅÅÅÅMMDDXXXX."),
    ("tolv", "Ange ett giltigt personnummer, 12 siffror ÅÅÅÅMMDDXXXX."),
    ("19121312-1212", "Personnumret innehåller inget giltigt datum."),
    ("21121212-1212", "Födelsedatumet i personnumret ligger i framtiden."),
    ("19121212-0001", "Personnummer med födelsenummer 000 finns inte."),
])
def test_personnummer_messages_tell_a_typo_from_a_wrong_format(kitchen_sink_type, typed, message):
    assert messages_for(kitchen_sink_type, "personnummer", typed) == [message]


@pytest.mark.parametrize("typed, message", [
    ("556036-0794", "Kontrollsiffran stämmer inte. Kontrollera organisationsnumret."),
    ("19121212-1213", "Kontrollsiffran stämmer inte. Kontrollera organisationsnumret."),
    ("121312-1211", "Numret är varken ett organisationsnummer eller ett giltigt personnummer."),  # month 13
    ("5560-360793", "Ange ett giltigt organisationsnummer, 10 siffror XXXXXX-XXXX."),
    ("19556036-0793", "Ange ett giltigt organisationsnummer, 10 siffror XXXXXX-XXXX."),  # 19 is a century
])
def test_organisationsnummer_messages(kitchen_sink_type, typed, message):
    assert messages_for(kitchen_sink_type, "orgnr", typed) == [message]


def test_the_organisationsnummer_message_states_the_format_once():
    from casetypes.problems import FORMAT_MESSAGES
    assert len(re.findall(r"[ÅMDX]{6}-X{4}", FORMAT_MESSAGES["organisationsnummer"])) == 1


def test_checker_only_accepts_the_canonical_form():
    assert FORMAT_CHECKER.conforms("191212121212", "personnummer")
    assert not FORMAT_CHECKER.conforms("19121212-1212", "personnummer")
    assert not FORMAT_CHECKER.conforms("191212121212\n", "personnummer")


test_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))


@given(born=test_dates, serial=st.integers(1, 999), coordination=st.booleans())
def test_generated_test_numbers_round_trip_and_every_mutation_fails(born, serial, coordination):
    day = born.day + (60 if coordination else 0)
    body = f"{born:%y%m}{day:02d}{serial:03d}"
    canonical = f"{born.year // 100}{with_check_digit(body)}"
    assert normalize_personnummer(canonical, TODAY) == canonical
    separator = "+" if TODAY.year - born.year >= 100 else "-"
    assert normalize_personnummer(canonical[2:8] + separator + canonical[8:], TODAY) == canonical
    wrong = canonical[:-1] + str((int(canonical[-1]) + 1) % 10)
    assert normalize_personnummer(wrong, TODAY) is None


@pytest.mark.parametrize("typed, canonical", [
    ("556036-0793", "556036-0793"),
    ("5560360793", "556036-0793"),
    ("16556036-0793", "556036-0793"),
    ("165560360793", "556036-0793"),
    ("121212-1212", "121212-1212"),     # a sole trader's personnummer
    ("191212121212", "121212-1212"),    # ... in its 12-digit form
    ("19121212-1212", "121212-1212"),
    ("121212+1212", "121212-1212"),     # ... with "+": 100 years or older
])
def test_organisationsnummer_inputs(typed, canonical):
    assert normalize_organisationsnummer(typed) == canonical
    assert is_organisationsnummer(canonical)


@pytest.mark.parametrize("typed", [
    "556036-0794",      # wrong check digit
    "121312-1210",      # looks like a person (third digit < 2) but no such date
    "556036-0793\n",
    "55603-60793",
    "٥٥٦٠٣٦-٠٧٩٣",
    "556036+0793",      # "+" belongs to a person's number
    "19556036-0793",    # a century before a legal entity's number
    "16121212-1212",    # 16 before a person's number
    "21121212-1212",    # no such century
    "121212-0004",      # a sole trader's personnummer with födelsenummer 000
])
def test_bad_organisationsnummer_are_refused(typed):
    assert normalize_organisationsnummer(typed) is None


@pytest.mark.parametrize("address", ["anna@example.se", "a.b+c@sub.example.com", "ÅSA@exempel.se"])
def test_real_addresses_pass(address):
    assert is_email(address)
    assert normalize_email(f" {address} ") == address


@pytest.mark.parametrize("address", [
    "nope",
    "victim@example.com\r\nBcc: attacker@evil.test",
    "a@example.se\n",
    "a@example.se, c@example.se",
    "Anna <anna@example.se>",
    "anna@",
    "@example.se",
    "a" * 250 + "@example.se",
    "anna@localhost",
])
def test_strict_email_refuses(address):
    assert not is_email(address)
    assert not FORMAT_CHECKER.conforms(address, "email")
