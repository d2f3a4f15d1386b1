"""SHA-256 without importing hashlib, for the few short digests every command takes (the compile cache's key, the
published rules' digest).

Importing hashlib loads OpenSSL: ~2.5 ms, a sixth of Python's own start-up. CPython's built-in SHA-256 gives the
same digest for a tenth of that (it is slower per byte, which these ~100 KB do not feel), as the standard library's
own random.py takes its SHA-512; hashlib remains where that module is missing.
"""

from __future__ import annotations

try:
    from _sha256 import sha256  # CPython up to 3.11
except ImportError:
    try:
        from _sha2 import sha256  # CPython 3.12 and later
    except ImportError:
        from hashlib import sha256

__all__ = ["sha256"]
