"""What a request hands the views: text cleaned of control characters and lone surrogates, and
whole numbers (ids, cursors, versions) parsed by one rule that stays inside the database's
integer range.

Both are done at the edge, once, so no view, service or database driver ever sees a NUL
(PostgreSQL refuses it in text, SQLite stores it), an escape sequence or a string that cannot
be encoded to UTF-8, and no number reaches a query that SQLite cannot bind (OverflowError) or
that Python cannot even read (more than 4 300 digits).
"""
from __future__ import annotations

import re

from flask import Request, current_app
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import BaseConverter, ValidationError

# C0 controls but tab, line feed and carriage return (a browser posts line breaks as CR LF),
# DEL, the C1 controls, and surrogates: a lone one is not a character and cannot be stored as
# UTF-8. A person never types any of them; they arrive pasted or forged, so they are dropped
# rather than refused: there is nothing a person could see to correct.
UNWANTED_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

# The smallest integer column of both databases (PostgreSQL's INTEGER, the ids' SERIAL).
DATABASE_INT_MAX = 2**31 - 1
DATABASE_INT_TEXT = re.compile(r"(?:0|[1-9][0-9]{0,9})\Z", re.ASCII)


def clean_text(text: str) -> str:
    """The text without control characters (tab and line breaks kept) and lone surrogates."""
    return UNWANTED_CHARACTERS.sub("", text)


def cleaned(value):
    """Text cleaned; JSON containers cleaned all through; anything else (a file) as it is."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [cleaned(item) for item in value]
    if isinstance(value, dict):
        return {cleaned(key): cleaned(item) for key, item in value.items()}
    return value


def database_int(text) -> int:
    """A non-negative whole number in ASCII digits that fits every integer column; raises
    ValueError otherwise (the `type=` contract of request.args.get)."""
    if not isinstance(text, str) or not DATABASE_INT_TEXT.match(text) or int(text) > DATABASE_INT_MAX:
        raise ValueError("inget heltal inom databasens gränser")
    return int(text)


def parse_database_int(text) -> int | None:
    try:
        return database_int(text)
    except ValueError:
        return None


class CleanedMultiDict(ImmutableMultiDict):
    """Query and form parameters, names and values cleaned as they are parsed."""

    def __init__(self, mapping=None):
        pairs = MultiDict(mapping).items(multi=True)  # whatever shape Werkzeug hands over
        super().__init__([(cleaned(key), cleaned(value)) for key, value in pairs])


def takes_uploads(view):
    """Marks a view whose form may carry files: its multipart requests may be as large as
    UPLOAD_MAX_REQUEST_BYTES; every other request stays within MAX_CONTENT_LENGTH."""
    view.takes_uploads = True
    return view


class PortalRequest(Request):
    parameter_storage_class = CleanedMultiDict

    @property
    def max_content_length(self) -> int | None:
        """Read before any form is parsed (CSRF reads the form), so it follows the endpoint; only a
        multipart body can carry files (in it, each text field stays within MAX_FORM_MEMORY_SIZE)."""
        if self._max_content_length is None and current_app and self.endpoint and self.mimetype == "multipart/form-data":
            view = current_app.view_functions.get(self.endpoint)
            if getattr(view, "takes_uploads", False):
                return current_app.config["UPLOAD_MAX_REQUEST_BYTES"]
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    def get_json(self, *args, **kwargs):
        return cleaned(super().get_json(*args, **kwargs))


class DatabaseIntConverter(BaseConverter):
    """`<int:…>` in a route: the same rule as database_int, so a foreign digit or a number
    too big for the database is a 404 like any other unknown address."""
    regex = r"[0-9]{1,10}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = parse_database_int(value)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def clean_view_args(endpoint, values) -> None:
    """Path parameters get the same cleaning as the query and the form."""
    for name, value in (values or {}).items():
        values[name] = cleaned(value)


def init_app(app) -> None:
    """Before any route is added: the converter replaces Werkzeug's own `int`, whose `\\d+`
    takes foreign digits and whose int() fails on 5 000 digits."""
    app.request_class = PortalRequest
    app.url_map.converters["int"] = DatabaseIntConverter
    app.url_value_preprocessor(clean_view_args)
