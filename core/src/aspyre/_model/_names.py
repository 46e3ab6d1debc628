"""Name rules shared by resources and endpoints (Aspire's ``ModelName`` rules)."""

from __future__ import annotations

__all__ = ["InvalidNameError", "validate_name", "name_key"]

MAX_NAME_LENGTH = 64


class InvalidNameError(ValueError):
    """A resource or endpoint name breaks the naming rules.

    ``target`` says what was being named (``"Resource"``, ``"Endpoint"``), ``name`` is the
    offending name and ``rule`` the rule it broke, in words.
    """

    def __init__(self, target: str, name: str, rule: str) -> None:
        self.target = target
        self.name = name
        self.rule = rule
        super().__init__(f"{target} name {name!r} is invalid. Name must {rule}.")


def _is_ascii_letter(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def _is_ascii_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def validate_name(target: str, name: object) -> str:
    """Check ``name`` against Aspire's rules and return it unchanged.

    The rules, checked in Aspire's order: 1 to 64 characters; only ASCII letters, ASCII
    digits and hyphens; no two hyphens in a row; starts with a letter; does not end with a
    hyphen. Raises :class:`InvalidNameError` naming the first rule broken.
    """
    if not isinstance(name, str):
        raise TypeError(f"{target} name must be a str, not {type(name).__name__}")
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise InvalidNameError(target, name, f"be between 1 and {MAX_NAME_LENGTH} characters long")
    previous = ""
    for ch in name:
        if ch == "-" and previous == "-":
            raise InvalidNameError(target, name, "not contain consecutive hyphens")
        if not (_is_ascii_letter(ch) or _is_ascii_digit(ch) or ch == "-"):
            raise InvalidNameError(target, name, "contain only ASCII letters, digits, and hyphens")
        previous = ch
    if not _is_ascii_letter(name[0]):
        raise InvalidNameError(target, name, "start with an ASCII letter")
    if name[-1] == "-":
        raise InvalidNameError(target, name, "not end with a hyphen")
    return name


def name_key(name: str) -> str:
    """The key names are compared by: resource and endpoint names are case-insensitive."""
    return name.casefold()
