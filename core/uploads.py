"""Uploaded files: the one check of extension, size and first bytes.

``check_upload`` refuses, in this order, a file whose extension is not allowed, one larger than
``max_bytes``, and one whose first bytes are not those of its extension (an .exe renamed .pdf).
Each refusal is a ValidationError with code "type", "size" or "content"; a caller passes its own
messages for them (a certificate says "certificate"), the size message receives ``%(size)s`` in MB.
"""
import io
import os

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# First bytes of each type we accept; an extension missing here is never accepted.
MAGIC = {
    "pdf": [b"%PDF"],
    "png": [b"\x89PNG"],
    "jpg": [b"\xff\xd8\xff"],
    "jpeg": [b"\xff\xd8\xff"],
    "docx": [b"PK\x03\x04"],
    "xlsx": [b"PK\x03\x04"],
    "doc": [b"\xd0\xcf\x11\xe0"],
    "xls": [b"\xd0\xcf\x11\xe0"],
}

ERROR_TYPE = _("Files of this type cannot be uploaded here: choose a %(extensions)s file.")
ERROR_SIZE = _("The file may be at most %(size)s MB.")
ERROR_CONTENT = _("The file's content does not match its extension.")


def extension_of(name: str | None) -> str:
    """报告.PDF → pdf."""
    return os.path.splitext(name or "")[1].lower().lstrip(".")


def file_size(upload) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        position = upload.tell()
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
        upload.seek(position)
    return size


def megabytes(size: int) -> str:
    """A size limit as the user reads it: 5 MB, 0.50 MB."""
    value = size / (1024 * 1024)
    return f"{value:g}" if value >= 1 else f"{value:.2f}"


def check_upload(file, *, extensions, max_bytes: int, messages: dict | None = None) -> None:
    """Raise ValidationError unless ``file`` has one of ``extensions`` (without the dot), is at
    most ``max_bytes`` long and starts like its extension. ``messages`` may replace the
    "type", "size" and "content" messages. Leaves the file at its start."""
    messages = {"type": ERROR_TYPE, "size": ERROR_SIZE, "content": ERROR_CONTENT, **(messages or {})}
    extensions = [extension.lower().lstrip(".") for extension in extensions]
    extension = extension_of(file.name)
    if extension not in extensions:
        raise ValidationError(messages["type"], code="type",
                              params={"extensions": "/".join(e.upper() for e in extensions)})
    if file_size(file) > max_bytes:
        raise ValidationError(messages["size"], code="size", params={"size": megabytes(max_bytes)})
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    if not any(head.startswith(magic) for magic in MAGIC.get(extension, [])):
        raise ValidationError(messages["content"], code="content")
