"""Generating secret values (no I/O: storing them is the app host's job)."""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._resources import GenerateParameterDefault

__all__ = ["SPECIAL_CHARACTERS", "generate_password"]

#: Special characters used in generated values: URL-unreserved, so a generated password is safe
#: in URIs, in ``key=value;`` and ``host:port,password=`` connection strings and in shell words.
SPECIAL_CHARACTERS = "-_.~"


def generate_password(spec: GenerateParameterDefault) -> str:
    """A random value meeting ``spec`` (lengths and character classes), from ``secrets``."""
    classes: list[tuple[str, bool, int]] = [
        (string.ascii_lowercase, spec.lower, spec.min_lower),
        (string.ascii_uppercase, spec.upper, spec.min_upper),
        (string.digits, spec.numeric, spec.min_numeric),
        (SPECIAL_CHARACTERS, spec.special, spec.min_special),
    ]
    enabled = [(chars, minimum) for chars, on, minimum in classes if on]
    if not enabled:
        raise ValueError("GenerateParameterDefault must enable at least one character class")
    required = sum(minimum for _, minimum in enabled)
    length = max(spec.min_length, required, 1)
    out: list[str] = []
    for chars, minimum in enabled:
        out.extend(secrets.choice(chars) for _ in range(minimum))
    # A password must not start with a special character (some tools read a leading '-' as a flag).
    alphabet = "".join(chars for chars, _ in enabled)
    out.extend(secrets.choice(alphabet) for _ in range(length - len(out)))
    secrets.SystemRandom().shuffle(out)
    if out[0] in SPECIAL_CHARACTERS:
        for i, ch in enumerate(out):
            if ch not in SPECIAL_CHARACTERS:
                out[0], out[i] = out[i], out[0]
                break
    return "".join(out)
