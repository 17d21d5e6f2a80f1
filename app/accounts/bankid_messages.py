"""The Swedish texts BankID prescribes (RFA codes) and the tables choosing one for a collect state or
an API error. Owns nothing else: no HTTP, no Flask.

Source: the reference ../shared/reference/bankid-rp-v6.md, "Messages to show". Hint codes unknown to these
tables get the generic message, because BankID may add codes at any time.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Union

RFA_TEXTS: dict[str, str] = {
    "RFA1": "Starta BankID-appen.",
    "RFA3": "Åtgärden avbruten. Försök igen.",
    "RFA4": "En identifiering eller underskrift för det här personnumret är redan påbörjad. "
            "Försök igen.",
    "RFA5": "Något gick fel. Försök igen.",
    "RFA6": "Åtgärden avbröts.",
    "RFA8": "BankID-appen svarar inte. Kontrollera att den är startad och att du har "
            "internetanslutning. Om du inte har ett giltigt BankID kan du skaffa ett hos din bank. "
            "Försök sedan igen.",
    "RFA9": "Skriv in din säkerhetskod i BankID-appen och välj Identifiera eller Skriv under.",
    "RFA13": "Försöker starta BankID-appen.",
    "RFA15A": "Söker efter BankID. Säkerställ att du har ett giltigt BankID på den här datorn. "
              "Om du har ett BankID på kort, sätt in kortet i kortläsaren.",
    "RFA15B": "Söker efter BankID. Säkerställ att du har ett giltigt BankID på den här enheten.",
    "RFA16": "Ditt BankID är för gammalt eller spärrat. Använd ett annat BankID eller skaffa ett "
             "nytt hos din bank.",
    "RFA17A": "Du verkar inte ha BankID-appen. Installera den och skaffa ett BankID hos din bank.",
    "RFA17B": "Misslyckades att läsa av QR-koden. Starta BankID-appen och läs av QR-koden.",
    "RFA18": "Starta BankID-appen",
    "RFA20": "Vill du använda BankID på den här enheten eller på en annan enhet?",
    "RFA21": "En identifiering eller underskrift pågår.",
    "RFA22": "Något gick fel. Försök igen.",
    "RFA23": "Fotografera och läs av din ID-handling med BankID-appen.",
}

GENERIC_PENDING = "RFA21"
GENERIC_FAILURE = "RFA22"


@dataclass(frozen=True)
class StartContext:
    """How the order was started and where the user is; some messages depend on it."""

    qr: bool
    autostart_tried: bool
    mobile: bool


Rule = Union[str, Callable[[StartContext], str]]

PENDING_RULES: dict[str, Rule] = {
    "outstandingTransaction": lambda how: "RFA13" if how.autostart_tried else "RFA1",
    "noClient": "RFA1",
    "started": lambda how: "RFA15B" if how.mobile else "RFA15A",
    "userSign": "RFA9",
    "userMrtd": "RFA23",
}

FAILED_RULES: dict[str, Rule] = {
    "userCancel": "RFA6",
    "cancelled": "RFA3",
    "expiredTransaction": "RFA8",
    "certificateErr": "RFA16",
    "startFailed": lambda how: "RFA17B" if how.qr else "RFA17A",
}

# status -> (rules for its hint codes, code for hint codes the table does not know)
STATUS_RULES: dict[str, tuple[dict[str, Rule], str]] = {
    "pending": (PENDING_RULES, GENERIC_PENDING),
    "failed": (FAILED_RULES, GENERIC_FAILURE),
}

# API errorCode -> RFA; anything else (also codes BankID adds later) is RFA22.
ERROR_RFA: dict[str, str] = {
    "alreadyInProgress": "RFA4",
    "requestTimeout": "RFA5",
    "internalError": "RFA5",
    "maintenance": "RFA5",
    # Client-side codes (see bankid.py): the service could not be reached or was too slow.
    "connectionError": "RFA5",
    "timeout": "RFA5",
}


def _apply(rule: Rule, how: StartContext) -> str:
    return rule(how) if callable(rule) else rule


def rfa_for_collect(status: str, hint_code: str | None, how: StartContext) -> str | None:
    """The RFA code for a collect answer; None for `complete` (nothing to tell, the user is in)."""
    if status == "complete":
        return None
    rules, fallback = STATUS_RULES.get(status, ({}, GENERIC_FAILURE))
    rule = rules.get(hint_code or "", fallback)
    return _apply(rule, how)


def rfa_for_error(error_code: str | None) -> str:
    return ERROR_RFA.get(error_code or "", GENERIC_FAILURE)


def user_message(status: str, hint_code: str | None, *, qr: bool, autostart_tried: bool,
                 mobile: bool) -> tuple[str | None, str]:
    """(rfa_code, Swedish text) for a collect status/hint code; (None, "") once complete."""
    code = rfa_for_collect(status, hint_code,
                           StartContext(qr=qr, autostart_tried=autostart_tried, mobile=mobile))
    return (code, RFA_TEXTS[code]) if code else (None, "")


def error_message(error) -> tuple[str, str]:
    """(rfa_code, Swedish text) for a BankIDError (anything with an `rfa` attribute)."""
    code = getattr(error, "rfa", None) or GENERIC_FAILURE
    return code, RFA_TEXTS.get(code, RFA_TEXTS[GENERIC_FAILURE])
