"""A file handed to staff to save (catalogue and results exports): the domain services make
it, the admin API and the staff pages send it as an attachment."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Download:
    data: bytes
    filename: str
    media_type: str
