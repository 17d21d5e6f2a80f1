"""A form posted with more than a request may carry (413): instead of a bare error page, the
form comes back with everything typed and a Swedish message at the file field saying which
files were too much and what the limit is.

The body was refused before a byte of it was read (Werkzeug compares Content-Length with the
limit), so it is still there to read once more: its text fields are parsed as usual (each within
MAX_FORM_MEMORY_SIZE, at most MAX_FORM_PARTS parts) while every file's content is counted and
dropped as it streams past, so nothing is stored and memory stays flat. Only bodies up to
READ_AT_MOST_TIMES the limit are read again; a larger one, a body of unknown length, a post to
a form that is not drawn again here, or a body that cannot be parsed gets the plain Swedish
page, which names the limit and links back. The re-rendered form is a page, never a change:
nothing is filed or stored, so it needs no valid CSRF token (like the expired-token pages).
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from flask import current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.formparser import FormDataParser
from werkzeug.wsgi import get_input_stream

from casetypes.files import size_text

READ_AT_MOST_TIMES = 4  # a body up to 4 × the limit is read again to give the form back


class CountedAway(io.RawIOBase):
    """Where a file's content goes while the text fields are read: counted, not kept."""

    def __init__(self) -> None:
        super().__init__()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.size += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0


@dataclass(frozen=True)
class ChosenFile:
    field: str  # the posted name of its file input
    name: str
    size: int


def limit_bytes() -> int:
    """The limit the refused request was judged by (the upload limit for a form with files)."""
    return int(request.max_content_length or current_app.config["MAX_CONTENT_LENGTH"])


def read_again() -> list[ChosenFile] | None:
    """The refused multipart body read once more: request.form holds its text fields (files
    emptied) and the chosen files are returned with their sizes; None when it is not read."""
    length = request.content_length
    if request.mimetype != "multipart/form-data" or length is None or length > READ_AT_MOST_TIMES * limit_bytes():
        return None
    parser = FormDataParser(stream_factory=lambda *args, **kwargs: CountedAway(),
                            max_form_memory_size=request.max_form_memory_size, max_content_length=None,
                            cls=request.parameter_storage_class, silent=False, max_form_parts=request.max_form_parts)
    try:
        _, form, files = parser.parse(get_input_stream(request.environ, max_content_length=length), request.mimetype,
                                      length, request.mimetype_params)
    except (ValueError, HTTPException):  # broken or hostile multipart: the plain page
        return None
    request.__dict__["form"], request.__dict__["files"] = form, request.parameter_storage_class()
    return [ChosenFile(field, storage.filename, storage.stream.size)
            for field, storage in files.items(multi=True) if storage.filename]


def file_message(chosen: list[ChosenFile]) -> str:
    files = ", ".join(f"{item.name} ({size_text(item.size)})" for item in chosen)
    return (f"Filerna kom inte med, det blev för mycket att skicka på en gång: {files}. "
            f"Allt som skickas i ett formulär får vara högst {size_text(limit_bytes())} tillsammans. "
            f"Välj en mindre fil eller färre filer.")


def notice(chosen: list[ChosenFile]) -> str:
    total = sum(item.size for item in chosen)
    return (f"Det du skickade var för stort: filerna är {size_text(total)} tillsammans, och högst "
            f"{size_text(limit_bytes())} får skickas på en gång. Inget skickades in. Det du skrev finns kvar; "
            f"välj filerna igen vid fältet som är markerat.")


def messages_by_field(chosen: list[ChosenFile]) -> dict[str, str]:
    """One Swedish message per file input that had files, naming its files."""
    fields = dict.fromkeys(item.field for item in chosen)
    return {field: file_message([item for item in chosen if item.field == field]) for field in fields}


def plain_text() -> str:
    return (f"Det du skickade var för stort: högst {size_text(limit_bytes())} får skickas på en gång. "
            "Gå tillbaka, välj en mindre fil eller färre filer (eller korta ned texten) och skicka igen.")


def back_link() -> str | None:
    """The page the form was on, when the browser says it was one of ours."""
    referrer = request.referrer or ""
    return referrer if referrer.startswith(request.host_url) else None
