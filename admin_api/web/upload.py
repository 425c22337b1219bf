"""File uploads of the staff pages (multipart/form-data), read with the standard library's MIME
parser: the body is read up to a limit first, so a huge upload is refused without buffering it."""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass, field

from fastapi import Request

FORM_OVERHEAD = 64 * 1024  # boundaries, part headers and the small fields next to the file


class UploadTooLarge(Exception):
    """The body is larger than the file limit plus the form's overhead."""


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
    if kind.split(";")[0].strip().lower() != "multipart/form-data" or "boundary=" not in kind:
        raise UploadUnreadable
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + FORM_OVERHEAD:
        raise UploadTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes + FORM_OVERHEAD:
            raise UploadTooLarge
    head = f"Content-Type: {kind}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + bytes(body))
    if not message.is_multipart():
        raise UploadUnreadable
    upload = Upload()
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if name == file_field:
            upload.filename = part.get_filename() or ""
            upload.data = data
        else:
            upload.fields[name] = data.decode("utf-8", "replace")
    if len(upload.data) > max_bytes:
        raise UploadTooLarge
    return upload
