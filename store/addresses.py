"""Messenger addresses (a Telegram chat id, the console's user) encrypted at rest.

`conversation.address` and `outbox.address` hold a *sealed* address: AES-256-GCM under a key
derived from the instance secret with HKDF-SHA256 for this purpose only. The runtime seals
what a channel hands in; only a channel's sender opens a row's address to deliver it.

The nonce is synthetic (HMAC of the address under a second derived key, as in SIV): the same
address always seals to the same text. That is deliberate — the outbox keeps one chat's
replies in order by comparing addresses, and the console finds its own rows — and it reveals
no more than the pseudonym already does (which rows belong to one chat). Nonces repeat only
for the same plain text, where GCM then repeats the same cipher text and nothing else.

Sealed text: `a<version>.` + Base85(nonce ‖ cipher text ‖ tag), at most 63 characters for an
address of up to 20 bytes (any Telegram chat id), so it fits the columns as they were. The
version names the key derivation, so a rotation can tell old from new (docs/architecture.md,
"Key rotation").
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = 1
PREFIX = f"a{VERSION}."
NONCE = 12
MAX_ADDRESS = 20  # bytes: "-9223372036854775808", the longest Telegram chat id


def is_sealed(text: str) -> bool:
    return text.startswith(PREFIX)


class AddressBox:
    def __init__(self, secret: bytes) -> None:
        keys = HKDF(
            algorithm=hashes.SHA256(), length=64, salt=None, info=b"wegweiser address v1"
        ).derive(secret)
        self._aead = AESGCM(keys[:32])
        self._nonce_key = keys[32:]

    def seal(self, address: str) -> str:
        plain = address.encode()
        if len(plain) > MAX_ADDRESS:
            raise ValueError(f"address longer than {MAX_ADDRESS} bytes")
        nonce = hmac.new(self._nonce_key, plain, hashlib.sha256).digest()[:NONCE]
        sealed = nonce + self._aead.encrypt(nonce, plain, PREFIX.encode())
        return PREFIX + base64.b85encode(sealed).decode()

    def open(self, sealed: str) -> str:
        """The address; ValueError for anything this key did not seal."""
        if not is_sealed(sealed):
            raise ValueError("not a sealed address")
        try:
            raw = base64.b85decode(sealed[len(PREFIX) :])
            plain = self._aead.decrypt(raw[:NONCE], raw[NONCE:], PREFIX.encode())
        except (InvalidTag, ValueError):
            raise ValueError("address sealed under another key or damaged") from None
        return plain.decode()
