"""Attachments: files customers attach to a case's file fields and both sides attach to their
messages. This module owns every rule about them:

- checked by content, not by name: the magic bytes (puremagic) must show one of the allowed
  types, and a type the browser declared (from the file's name) must be what the content is;
  empty files, files over their field's size and cases over ATTACHMENT_MAX_CASE_BYTES are
  refused with a Swedish message at the field;
- stored once by sha256 (FileBlob), in the database or in the folder ATTACHMENT_STORAGE names;
- a form shown again with errors keeps its files: the page posts each kept file's reference
  back, and `receive` replaces every posted reference by the one stored for this person, for a
  file not yet filed with a case or message (so nobody can name another person's file);
- read only by the case's owner and the handlers (internal notes' files by handlers only);
- gone with their case (ON DELETE CASCADE) and, at the next `forget_unused`, their content too
  when no attachment names it any more.
"""
from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import secrets
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import puremagic
from flask import current_app
from peewee import JOIN, IntegrityError
from werkzeug.datastructures import MultiDict

from app.platform.extensions import db
from app.platform.models import Attachment, Case, Draft, FileBlob, Message, User, utcnow
from app.platform.prepared import Prepared, Slot
from casetypes import CaseType, Problem
from casetypes.files import (
    FILE_KIND,
    FILE_TYPES,
    FILES_KIND,
    TEXT_TYPES,
    accepted_types,
    max_bytes_of,
    size_text,
    type_names,
)
from casetypes.spec import FieldSpec
from webforms.kinds import post_text, reference_of
from webforms.names import SEPARATOR, spec_named

FILE_KINDS = (FILE_KIND, FILES_KIND)
LOST_FILE = "Den bifogade filen finns inte längre. Ladda upp den igen."
PENDING_DAYS = 1  # files uploaded into a form that was never sent are kept this long


class FileRefused(ValueError):
    """A file that may not be attached; the message says why, in Swedish, naming the file."""


@dataclass(frozen=True)
class Upload:
    """A file as it arrived: the name the browser gave, the type it declared, the content."""
    name: str
    declared_type: str
    content: bytes


def uploads_of(storages) -> list[Upload]:
    """Werkzeug's FileStorage objects as Uploads; an empty file input (no name) is no upload."""
    return [Upload(storage.filename, storage.mimetype or "", storage.read()) for storage in storages
            if storage.filename]


# --- names -------------------------------------------------------------------------------------

UNSAFE_NAME_CHARACTERS = re.compile(r'[\x00-\x1f\x7f-\x9f"\\/:*?<>|;]+')


def safe_file_name(name: str) -> str:
    """The name a file is listed and downloaded under: no folders, no control characters or
    characters that mean something in a header or a file system, at most 255 characters with
    the extension kept; "bilaga" when nothing is left."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    cleaned = UNSAFE_NAME_CHARACTERS.sub("_", base).strip(" .")
    if len(cleaned) > 255:
        stem, dot, extension = cleaned.rpartition(".")
        cleaned = (stem[:250 - len(extension)] + dot + extension) if dot and len(extension) <= 10 else cleaned[:255]
    return cleaned or "bilaga"


# --- content -----------------------------------------------------------------------------------

TEXT_CONTROLS = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def is_text(content: bytes) -> bool:
    """Plain text (UTF-8 or Windows-1252, as Excel writes CSV) without control characters."""
    if TEXT_CONTROLS.search(content):
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return b"\x81" not in content and b"\x8d" not in content  # bytes cp1252 leaves undefined
    return True


def detected_types(content: bytes) -> set[str]:
    """The media types the content's magic bytes show (puremagic); text types for plain text."""
    try:
        matches = puremagic.magic_string(content)
    except puremagic.PureError:
        matches = []
    found = {match.mime_type for match in matches if match.mime_type}
    if not matches and is_text(content):
        found |= TEXT_TYPES
    return found


def byte_count(size: int) -> str:
    """10485760 -> "10 485 760 byte" (grouped with no-break spaces)."""
    return f"{size:,}".replace(",", "\u00a0") + " byte"


def declared_type(upload: Upload) -> str | None:
    """The type the browser or the file's name claims, if it is one the portal knows."""
    claimed = upload.declared_type if upload.declared_type in FILE_TYPES else mimetypes.guess_type(upload.name)[0]
    return claimed if claimed in FILE_TYPES else None


def checked_type(upload: Upload, allowed: list[str], max_bytes: int) -> str:
    """The media type the file is stored as; raises FileRefused (empty, too large, a type not
    allowed here, or content that is not what its name says)."""
    name = safe_file_name(upload.name)
    if not upload.content:
        raise FileRefused(f"Filen {name} är tom.")
    if len(upload.content) > max_bytes:
        size, limit = size_text(len(upload.content)), size_text(max_bytes)
        if size == limit:  # rounded alike: the bytes tell them apart
            size, limit = byte_count(len(upload.content)), byte_count(max_bytes)
        raise FileRefused(f"Filen {name} är för stor ({size}); den får vara högst {limit}.")
    found = detected_types(upload.content)
    claimed = declared_type(upload)
    if claimed and claimed not in found:
        raise FileRefused(f"Filen {name} är inte en {FILE_TYPES[claimed]}-fil som namnet säger; "
                          f"bifoga en fil av typen {type_names(allowed)}.")
    matching = [media_type for media_type in allowed if media_type in found]
    if not matching:
        raise FileRefused(f"Filen {name} är inte av en tillåten typ; bifoga en fil av typen {type_names(allowed)}.")
    return claimed if claimed in matching else matching[0]


# --- storage -----------------------------------------------------------------------------------

def storage_folder() -> Path | None:
    folder = current_app.config.get("ATTACHMENT_STORAGE") or ""
    return Path(folder) if folder else None


def blob_path(folder: Path, sha256: str) -> Path:
    return folder / sha256[:2] / sha256


def write_once(path: Path, content: bytes) -> None:
    """The file at `path`, written whole or not at all (a reader never sees half of it)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def store_blob(content: bytes) -> str:
    """The content stored once; its sha256."""
    sha256 = hashlib.sha256(content).hexdigest()
    if FileBlob.select().where(FileBlob.sha256 == sha256).exists():
        return sha256
    folder = storage_folder()
    if folder is not None:
        write_once(blob_path(folder, sha256), content)
    try:
        with db.atomic():
            FileBlob.create(sha256=sha256, size=len(content), content=None if folder else content)
    except IntegrityError:
        pass  # stored by a concurrent upload of the same file
    return sha256


def stored(upload: Upload, media_type: str, owner: User, **belongs_to) -> Attachment:
    sha256 = store_blob(upload.content)
    return Attachment.create(public_id=secrets.token_urlsafe(16), sha256=sha256, name=safe_file_name(upload.name),
                             media_type=media_type, size=len(upload.content), owner=owner, **belongs_to)


def content_of(attachment: Attachment) -> bytes:
    blob = FileBlob.get(FileBlob.sha256 == attachment.sha256)
    if blob.content is not None:
        return bytes(blob.content)
    return blob_path(storage_folder() or Path("."), attachment.sha256).read_bytes()


def file_on_disk(attachment: Attachment) -> Path | None:
    """The stored file, when the storage folder holds it (sent without loading it whole)."""
    folder = storage_folder()
    path = blob_path(folder, attachment.sha256) if folder else None
    blob = FileBlob.get_or_none(FileBlob.sha256 == attachment.sha256)
    return path if path is not None and blob is not None and blob.content is None and path.is_file() else None


def reference(attachment: Attachment) -> dict:
    """What a case document stores for the file (the schema in casetypes/files.py)."""
    return {"id": attachment.public_id, "sha256": attachment.sha256, "name": attachment.name,
            "mediaType": attachment.media_type, "size": attachment.size}


# --- a case form's file fields -----------------------------------------------------------------

@dataclass
class Received:
    """Posted data with every file field's values replaced by references this person holds,
    and the problems found with the files, by field."""
    formdata: MultiDict
    problems: list = field(default_factory=list)


def pending(owner: User, public_id) -> Attachment | None:
    """The person's uploaded file not yet filed with a case or a message."""
    if not isinstance(public_id, str) or len(public_id) > 64:
        return None
    return Attachment.get_or_none((Attachment.public_id == public_id) & (Attachment.owner == owner)
                                  & Attachment.case.is_null() & Attachment.message.is_null())


def kept_references(values: list, owner: User) -> tuple[list[dict], bool]:
    """The references of posted kept files that this person holds; and whether one was lost
    (a reference whose file is not theirs or is gone). A value that is no reference at all is
    nothing a browser posts and nothing anybody could lose: it is left out."""
    posted = [ref for ref in map(reference_of, values) if isinstance(ref, dict) and isinstance(ref.get("id"), str)]
    found = [pending(owner, ref["id"]) for ref in posted]
    return [reference(row) for row in found if row is not None], None in found


def document_path(spec: FieldSpec, name: str) -> tuple:
    """The document path a posted name stands for (its row indices in place of "*")."""
    parts = name.split(SEPARATOR)
    return tuple(int(parts[depth]) if part == "*" else part for depth, part in enumerate(spec.path))


def file_specs_posted(case_type: CaseType, names) -> list[tuple[str, FieldSpec]]:
    found = ((name, spec_named(case_type, name)) for name in dict.fromkeys(names))
    return [(name, spec) for name, spec in found if spec is not None and spec.kind in FILE_KINDS]


def limits_of(spec: FieldSpec) -> tuple[list[str], int, int]:
    """(allowed types, bytes per file, files at most) of a file field."""
    item = spec.children[0] if spec.kind == FILES_KIND else spec
    most = spec.schema.get("maxItems", 1) if spec.kind == FILES_KIND else 1
    return accepted_types(item.hints), max_bytes_of(item.hints), most


def received_files(spec: FieldSpec, kept: list[dict], uploads: list[Upload], owner: User) -> tuple[list[dict], list[str]]:
    """The references a field holds after this post, and a message for each refused file. A
    single file field keeps its file unless a new one is sent; a list adds new ones up to its
    maxItems (the files over it are not stored)."""
    allowed, max_bytes, most = limits_of(spec)
    room = most if spec.kind == FILE_KIND else most - len(kept)
    messages, added = [], []
    for upload in uploads:
        try:
            media_type = checked_type(upload, allowed, max_bytes)
        except FileRefused as refused:
            messages.append(str(refused))
            continue
        if len(added) >= room:
            messages.append(f"Du kan bifoga högst {most} {'fil' if most == 1 else 'filer'} här; "
                            f"{safe_file_name(upload.name)} togs inte emot.")
            continue
        added.append(reference(stored(upload, media_type, owner)))
    if spec.kind == FILE_KIND:
        return (added[-1:] or kept[:1]), messages
    return kept + added, messages


def receive(case_type: CaseType, formdata, files, owner: User) -> Received:
    """The posted form with its files taken care of: new uploads checked and stored, kept
    files vouched for, and the case's total size held to ATTACHMENT_MAX_CASE_BYTES."""
    result = Received(MultiDict(formdata))
    total = 0
    for name, spec in file_specs_posted(case_type, list(formdata.keys()) + list(files.keys())):
        path = document_path(spec, name)
        kept, lost = kept_references(formdata.getlist(name), owner)
        references, messages = received_files(spec, kept, uploads_of(files.getlist(name)), owner)
        if lost:
            messages.insert(0, LOST_FILE)
        result.formdata.setlist(name, [post_text(ref) for ref in references])
        result.problems += [Problem(path, message) for message in messages]
        total += sum(ref["size"] for ref in references)
        if total > current_app.config["ATTACHMENT_MAX_CASE_BYTES"]:
            result.problems.append(Problem(path, f"Bilagorna blir för stora tillsammans; ett ärende får ha högst "
                                                 f"{size_text(current_app.config['ATTACHMENT_MAX_CASE_BYTES'])}."))
    return result


def problems_at(case_type: CaseType, messages: dict[str, str]) -> list[Problem]:
    """Messages by posted file input name, as problems at their fields."""
    return [Problem(document_path(spec, name), messages[name]) for name, spec in file_specs_posted(case_type, messages)]


def references_in(specs, document) -> list[dict]:
    """Every file reference in a document, by walking the fields that can hold one."""
    found: list = []
    values = document if isinstance(document, dict) else {}
    for spec in specs:
        value = values.get(spec.name)
        if spec.kind == FILE_KIND and isinstance(value, dict):
            found.append(value)
        elif spec.kind == FILES_KIND and isinstance(value, list):
            found += [item for item in value if isinstance(item, dict)]
        elif spec.kind in ("table",) and isinstance(value, list):
            found += [ref for row in value for ref in references_in(spec.children, row)]
        elif spec.kind == "fieldset":
            found += references_in(spec.children, value)
        elif spec.kind == "tuple" and isinstance(value, list):
            found += references_in(spec.children, {str(index): item for index, item in enumerate(value)})
    return found


def file_with_case(case: Case, case_type: CaseType, document: dict) -> None:
    """Inside the filing transaction: the document's files now belong to the case."""
    ids = [ref.get("id") for ref in references_in(case_type.fields, document)]
    if ids:
        (Attachment.update(case=case)
         .where(Attachment.public_id.in_(ids) & (Attachment.owner == case.owner_id)
                & Attachment.case.is_null() & Attachment.message.is_null()).execute())


# --- messages ----------------------------------------------------------------------------------

MESSAGE_FILES_FIELD = "bilagor"


@dataclass
class MessageFiles:
    references: list
    problems: list


def message_limits() -> tuple[list[str], int, int]:
    config = current_app.config
    return list(FILE_TYPES), config["MESSAGE_ATTACHMENT_MAX_BYTES"], config["MESSAGE_MAX_ATTACHMENTS"]


def message_limits_text() -> str:
    allowed, max_bytes, most = message_limits()
    return f"Tillåtna filtyper: {type_names(allowed)}. Högst {size_text(max_bytes)} per fil och {most} filer."


def receive_for_message(formdata, files, owner: User) -> MessageFiles:
    """A message form's files, by the same rules as a case's file field (a list of files)."""
    allowed, max_bytes, most = message_limits()
    kept, lost = kept_references(formdata.getlist(MESSAGE_FILES_FIELD), owner)
    spec = FieldSpec(name=MESSAGE_FILES_FIELD, path=(MESSAGE_FILES_FIELD,), kind=FILES_KIND,
                     schema={"maxItems": most}, required=False,
                     children=(FieldSpec(name="fil", path=(), kind=FILE_KIND, required=False,
                                         schema={"x-ui": {"accept": allowed, "maxBytes": max_bytes}}),))
    references, messages = received_files(spec, kept, uploads_of(files.getlist(MESSAGE_FILES_FIELD)), owner)
    return MessageFiles(references, ([LOST_FILE] if lost else []) + messages)


def file_with_message(message: Message, references: list) -> None:
    ids = [ref.get("id") for ref in references]
    if ids:
        (Attachment.update(case=message.case_id, message=message)
         .where(Attachment.public_id.in_(ids) & (Attachment.owner == message.author_id)
                & Attachment.case.is_null() & Attachment.message.is_null()).execute())


# A message's files carry its case too (file_with_message sets both), so one statement of the
# same text serves every thread.
MESSAGE_FILES_OF_CASE = Prepared(lambda: Attachment.select().where(
    (Attachment.case == Slot("case")) & Attachment.message.is_null(False)).order_by(Attachment.id))


def of_messages(messages: list) -> dict[int, list[Attachment]]:
    """Each message's files, for the thread (the messages are one case's)."""
    ids = {message.id for message in messages}
    found: dict[int, list[Attachment]] = {}
    if ids:
        for row in MESSAGE_FILES_OF_CASE.rows(case=messages[0].case_id):
            if row.message_id in ids:
                found.setdefault(row.message_id, []).append(row)
    return found


# --- reading -----------------------------------------------------------------------------------

def of_case(case: Case, public_id: str, *, handler: bool) -> Attachment | None:
    """A file of this case, as the caller may read it: handlers every file, the owner all but
    the files of internal notes. None otherwise (the caller answers 404)."""
    if not isinstance(public_id, str) or len(public_id) > 64:
        return None
    row = Attachment.get_or_none((Attachment.public_id == public_id) & (Attachment.case == case))
    if row is None or handler or row.message_id is None:
        return row
    return None if Message.get_by_id(row.message_id).internal else row


def listed(case: Case, *, include_internal: bool) -> list[Attachment]:
    """Every file of a case (its document's and its messages'), oldest first; the files of
    internal notes only when asked for."""
    query = (Attachment.select(Attachment).join(Message, JOIN.LEFT_OUTER, on=(Attachment.message == Message.id))
             .where(Attachment.case == case))
    if not include_internal:
        query = query.where(Message.id.is_null() | (Message.internal == False))  # noqa: E712 - SQL, not Python
    return list(query.order_by(Attachment.id))


# --- retention ---------------------------------------------------------------------------------

def in_drafts() -> set[str]:
    """The ids of the files saved drafts hold (a draft keeps its files as long as it is kept)."""
    found: set[str] = set()
    for draft in Draft.select(Draft.answers):
        for pair in draft.answers if isinstance(draft.answers, list) else []:
            value = reference_of(pair[1]) if isinstance(pair, list) and len(pair) == 2 else None
            if isinstance(value, dict) and isinstance(value.get("id"), str):
                found.add(value["id"])
    return found


def forget_unused(now=None) -> dict:
    """Files uploaded into forms that were never sent nor saved as a draft (after PENDING_DAYS),
    then every stored content no attachment names any more (a deleted case's files go with it
    by cascade, a deleted draft's at the next run)."""
    cutoff = (now or utcnow()) - timedelta(days=PENDING_DAYS)
    kept = in_drafts()
    stale = [row.id for row in Attachment.select(Attachment.id, Attachment.public_id).where(
        Attachment.case.is_null() & Attachment.message.is_null() & (Attachment.created_at < cutoff))
        if row.public_id not in kept]
    abandoned = Attachment.delete().where(Attachment.id.in_(stale)).execute() if stale else 0
    unused = [blob.sha256 for blob in FileBlob.select(FileBlob.sha256).where(
        FileBlob.sha256.not_in(Attachment.select(Attachment.sha256)))]
    folder = storage_folder()
    for sha256 in unused:
        with db.atomic():
            if Attachment.select().where(Attachment.sha256 == sha256).exists():
                continue  # attached again meanwhile
            FileBlob.delete().where(FileBlob.sha256 == sha256).execute()
            if folder is not None:
                blob_path(folder, sha256).unlink(missing_ok=True)
    return {"abandoned": abandoned, "contents": len(unused)}
