"""Common random numbers for the recall benchmark: counter-based, not sequential.

``unit(key, stream, a, b)`` is a uniform number in [0, 1) that depends only on
its arguments (splitmix64 finaliser). The world asks "does manager 3 pick up in
minute 29 000 123?" as ``unit(seed_key, MANAGER_ANSWER, 3, minute)``, so every
policy that calls in that minute gets the same answer, whatever it did before:
the policies face identical people (issue 5, common random numbers).
"""

from __future__ import annotations

import hashlib

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_SCALE = 1.0 / (1 << 64)

# Streams: one per kind of hidden draw, so draws never collide.
MISS = 1
DECLINE = 2
MANAGER_ANSWER = 3
MANAGER_DELAY = 4
CLIENT_DELAY = 5
TRUNK = 6


def _mix(x: int) -> int:
    x = (x + _GOLDEN) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def seed_key(seed: int, salt: str = "") -> int:
    """A 64-bit key for a seed (and an optional salt), stable across runs and platforms."""
    digest = hashlib.blake2b(f"{seed}|{salt}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def unit(key: int, stream: int, a: int, b: int) -> float:
    """A uniform number in [0, 1) determined by (key, stream, a, b) alone."""
    return _mix(_mix(_mix(key ^ stream) ^ (a & _MASK)) ^ (b & _MASK)) * _SCALE
