"""Swedish formats: personnummer, organisationsnummer and strict e-mail (DESIGN §3, security D2–D4)."""
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from casetypes.formats import (
    FORMAT_CHECKER,
    is_email,
    is_organisationsnummer,
    is_personnummer,
    normalize_email,
    normalize_organisationsnummer,
    normalize_personnummer,
)

TODAY = date(2026, 11, 29)


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
    number = with_check_digit("261231000")
    assert normalize_personnummer(number[:6] + "-" + number[6:], TODAY) == "20" + number
    assert normalize_personnummer(number[:6] + "+" + number[6:], TODAY) == "19" + number


def test_checker_only_accepts_the_canonical_form():
    assert FORMAT_CHECKER.conforms("191212121212", "personnummer")
    assert not FORMAT_CHECKER.conforms("19121212-1212", "personnummer")
    assert not FORMAT_CHECKER.conforms("191212121212\n", "personnummer")


test_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))


@given(born=test_dates, serial=st.integers(0, 999), coordination=st.booleans())
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
    ("121212-1212", "121212-1212"),     # a sole trader's personnummer
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
