"""File uploads of the staff pages (multipart/form-data), parsed by python-multipart through
Starlette. The body was already bounded by `admin_api.limits.BodyLimit`; here the parts are
bounded too (one file, a few small fields)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

MAX_FIELDS = 20
MAX_FIELD_BYTES = 64 * 1024


class UploadTooLarge(Exception):
    """The file is larger than the limit."""


class UploadUnreadable(Exception):
    """Not a multipart form (or a damaged one)."""


@dataclass
class Upload:
    fields: dict[str, str] = field(default_factory=dict)
    filename: str = ""
    data: bytes = b""


async def read_upload(request: Request, file_field: str, max_bytes: int) -> Upload:
    """The text fields and the one file `file_field` of a multipart form."""
    kind = request.headers.get("content-type", "")
    if kind.split(";")[0].strip().lower() != "multipart/form-data":
        raise UploadUnreadable
    try:
        form = await request.form(max_files=1, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD_BYTES)
    except HTTPException:  # python-multipart refused the form (damaged, too many parts)
        raise UploadUnreadable from None
    upload = Upload()
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            if name == file_field:
                upload.filename = value.filename or ""
                upload.data = await value.read(max_bytes + 1)
        else:
            upload.fields[name] = value
    await form.close()
    if len(upload.data) > max_bytes:
        raise UploadTooLarge
    return upload
