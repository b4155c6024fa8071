"""Messenger encryption (training target: deliberately weak)."""

import hashlib

NONCE = b"\x00" * 12


def _stream(key: bytes, nonce: bytes, n: int) -> bytes:
    out, i = b"", 0
    while len(out) < n:
        out += hashlib.sha256(key + nonce + i.to_bytes(4, "big")).digest()
        i += 1
    return out[:n]


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b))


def encrypt(key: bytes, msg: bytes) -> bytes:
    return _xor(msg, _stream(key, NONCE, len(msg)))


def decrypt(key: bytes, data: bytes) -> bytes:
    return _xor(data, _stream(key, NONCE, len(data)))
