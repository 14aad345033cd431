"""PKCE (RFC 7636) for browser-only apps, S256 only.

A browser app cannot keep a secret key, so the one-time code it receives is bound to a
``code_challenge`` it sent when it started the sign-in: ``BASE64URL(SHA256(code_verifier))``
without padding, always 43 characters. Exchanging the code then needs the verifier, which
never left the app. ``plain`` (challenge = verifier) is refused: it protects nothing once
the challenge has been seen, and the challenge travels in URLs.
"""

from __future__ import annotations

import base64
import hashlib
import re

METHOD = "S256"
CHALLENGE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
# RFC 7636 §4.1: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
VERIFIER_RE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


class InvalidChallenge(ValueError):
    """The message says what is wrong, for the hosted error page."""


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def challenge_check(*, challenge: str, method: str) -> str:
    """The challenge to bind the code to ("" when the app uses none), or ``InvalidChallenge``."""
    if not challenge and not method:
        return ""
    if method != METHOD:
        if method.lower() == "plain" or not method:
            raise InvalidChallenge("Only code_challenge_method=S256 is supported; 'plain' (the default when the "
                                   "method is missing) is refused.")
        raise InvalidChallenge("code_challenge_method must be S256.")
    if not CHALLENGE_RE.match(challenge):
        raise InvalidChallenge("code_challenge must be the base64url SHA-256 of the code verifier: 43 characters of "
                               "A-Z, a-z, 0-9, '-' and '_', without padding.")
    return challenge
