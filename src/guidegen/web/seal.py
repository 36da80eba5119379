"""Sealing a person's web guide: AES-256-GCM with the key from their link, opened in the browser.

The ciphertext is `nonce || ciphertext-and-tag`. The plaintext is padded with spaces to the next
multiple of 64 KiB first, so a sealed page's or PDF's length says only roughly how long the guide
is, never which modules a person gets (spaces: trailing whitespace changes neither an HTML page
nor a PDF, and the page strips them before use). The nonce is derived from the key and the
plaintext (HMAC-SHA256 under a key derived from the link's key with HKDF, first 12 bytes): equal
inputs give equal bytes, so rebuilds stay byte-identical, and two different plaintexts never
share a nonce under one key. The page opens
it with WebCrypto (templates/assets/guide.js); nothing here is a cryptographic primitive of our own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
"""AES-256."""
SLUG_BYTES = 16
"""128 bits: a folder name nobody can guess."""
NONCE_BYTES = 12
BUCKET = 64 * 1024
"""Sealed plaintext is padded to a multiple of this many bytes."""
PAD = b" "
CONTEXT = b"guidegen sealed guide v1"
"""Authenticated with every ciphertext, so a sealed guide cannot pass for anything else."""


def new_key() -> str:
    """A random 256-bit key, as it goes in a link (base64url, no padding)."""
    return encode(secrets.token_bytes(KEY_BYTES))


def new_slug() -> str:
    """A random 128-bit folder name: lowercase letters and digits only (base32, 26 characters)."""
    return base64.b32encode(secrets.token_bytes(SLUG_BYTES)).decode().rstrip("=").lower()


def encode(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode(text: str) -> bytes:
    """The bytes of a base64url text (padding optional)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pad(plaintext: bytes) -> bytes:
    """The plaintext with spaces up to the next multiple of `BUCKET`."""
    return plaintext + PAD * (-len(plaintext) % BUCKET)


def seal(key: str, plaintext: bytes) -> bytes:
    """nonce || AES-256-GCM(padded plaintext); the nonce comes from the key and the plaintext."""
    plaintext = pad(plaintext)
    raw = decode(key)
    nonce_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=CONTEXT + b" nonce").derive(raw)
    nonce = hmac.new(nonce_key, plaintext, hashlib.sha256).digest()[:NONCE_BYTES]
    return nonce + AESGCM(raw).encrypt(nonce, plaintext, CONTEXT)


def unseal(key: str, sealed: bytes) -> bytes:
    """The plaintext of `seal`, padding removed (for tests and tools; the browser does this for readers)."""
    return AESGCM(decode(key)).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], CONTEXT).rstrip(PAD)
