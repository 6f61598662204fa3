"""GP-API notification signatures (``X-GP-Signature``).

Global Payments signs a notification as the lowercase hex SHA-512 of the exact body bytes
followed directly by the app key: no HMAC, no separator, no timestamp. This is what the
official PHP SDK's ``GenerationUtils::generateXGPSignature`` computes and what GP's WooCommerce
plugin checks with ``hash_equals`` (see shared/reference/gp-api.md, section 5). The body is
hashed as received; re-serialising the JSON first would change the bytes and the digest.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-GP-Signature"


def sign(body: bytes, app_key: str) -> str:
    return hashlib.sha512(body + app_key.encode()).hexdigest()


def verify(body: bytes, app_key: str, signature: str | bytes | None) -> bool:
    """Constant-time comparison of the presented signature with the body's digest."""
    if not signature:
        return False
    presented = signature.encode() if isinstance(signature, str) else signature
    return hmac.compare_digest(sign(body, app_key).encode(), presented.strip().lower())
