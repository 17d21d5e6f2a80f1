"""File fields in the dialect: which file types the portal can check by content, the bounds a
file field has, and the schema of the reference a case document stores for an uploaded file.

A string with `contentMediaType` (or rjsf's `format: "data-url"`) is a file field. The portal
never keeps a file inside the document: the upload is checked and stored once by its sha256
(app.cases.attachments), and the document holds a reference to it, an object
`{"id", "sha256", "name", "mediaType", "size"}`. normalize.py rewrites the file field into the
schema of that reference (`x-ui.widget: "file"`), so the frozen schema judges what is stored:
the allowed types and the size bound are in it.
"""
from __future__ import annotations

# Media types the portal recognises by their content (magic bytes, or for text: decodes as
# text without control characters), with the name a person reads in messages.
FILE_TYPES = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "image/tiff": "TIFF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word (docx)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel (xlsx)",
    "application/vnd.oasis.opendocument.text": "OpenDocument-text (odt)",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument-kalkyl (ods)",
    "text/plain": "text",
    "text/csv": "CSV",
}
TEXT_TYPES = frozenset({"text/plain", "text/csv"})

DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # a file field without x-ui.maxBytes takes at most 10 MB
MAX_BYTES_LIMIT = 100 * 1024 * 1024  # no file field may allow more than this
DEFAULT_MAX_FILES = 10  # a list of files without maxItems takes at most this many

FILE_KIND, FILES_KIND = "file", "files"
DATA_URL = "data-url"

ID_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
NAME_MAX_LENGTH = 255


def expanded(media_type: str) -> list[str]:
    """A media type as the portal's types it names: "image/*" is every image type it knows."""
    if media_type.endswith("/*"):
        family = media_type[:-1]
        return [known for known in FILE_TYPES if known.startswith(family)]
    return [media_type] if media_type in FILE_TYPES else []


def type_names(media_types) -> str:
    """"PDF, PNG eller JPEG": the allowed types as a person reads them."""
    names = list(dict.fromkeys(FILE_TYPES.get(media_type, media_type) for media_type in media_types))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " eller " + names[-1]


def size_text(size: int) -> str:
    """A file size as people read it: "834 byte", "12,5 kB", "3,2 MB"."""
    if size < 1024:
        return f"{size} byte"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f}".rstrip("0").rstrip(".").replace(".", ",") + " kB"
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".").replace(".", ",") + " MB"


BROKEN_REFERENCE = "Den bifogade filen kunde inte läsas. Ladda upp den igen."


def reference_schema(accept: list[str], max_bytes: int, nullable: bool = False) -> dict:
    """The schema of what a case document stores for one file: the frozen judge of its type
    and size, with the Swedish message for each way a reference can fail it."""
    broken = {"errors": {"pattern": BROKEN_REFERENCE, "type": BROKEN_REFERENCE, "minLength": BROKEN_REFERENCE,
                         "maxLength": BROKEN_REFERENCE}}
    return {
        "type": ["object", "null"] if nullable else "object",
        "properties": {
            "id": {"type": "string", "pattern": ID_PATTERN, "maxLength": 64, "x-ui": broken},
            "sha256": {"type": "string", "pattern": SHA256_PATTERN, "maxLength": 64, "x-ui": broken},
            "name": {"type": "string", "minLength": 1, "maxLength": NAME_MAX_LENGTH, "x-ui": broken},
            "mediaType": {"enum": list(accept),
                          "x-ui": {"errors": {"enum": f"Filen ska vara av typen {type_names(accept)}."}}},
            "size": {"type": "integer", "minimum": 1, "maximum": max_bytes,
                     "x-ui": {"errors": {"minimum": "Filen är tom.",
                                         "maximum": f"Filen är för stor; den får vara högst {size_text(max_bytes)}.",
                                         "type": BROKEN_REFERENCE}}},
        },
        "required": ["id", "sha256", "name", "mediaType", "size"],
        "additionalProperties": False,
    }


# On the field itself, so not "required": that one says the file is missing ("Bifoga en fil.").
REFERENCE_ERRORS = {"additionalProperties": BROKEN_REFERENCE, "type": BROKEN_REFERENCE}


def accepted_types(hints: dict) -> list[str]:
    accept = hints.get("accept") if isinstance(hints, dict) else None
    return list(accept) if isinstance(accept, list) else list(FILE_TYPES)


def max_bytes_of(hints: dict) -> int:
    value = hints.get("maxBytes") if isinstance(hints, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else DEFAULT_MAX_BYTES
