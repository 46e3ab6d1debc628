"""Name rules shared by resources and endpoints (Aspire's ``ModelName`` rules)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aspyre._public import present_top_level as _present_top_level

from .._errors import DistributedApplicationException

if TYPE_CHECKING:  # making a Protocol class costs ~0.1 ms; only the annotations use it
    from typing import Protocol

    class _PathLike(Protocol):
        def __fspath__(self) -> str: ...


__all__ = [
    "APP_HOST_HASH_CONTAINER",
    "APP_HOST_HASH_SECRETS",
    "APP_HOST_HASH_VOLUME",
    "MAX_NAME_LENGTH",
    "InvalidNameError",
    "app_host_hash",
    "name_key",
    "validate_name",
]

#: The longest allowed name, in UTF-16 code units as in Aspire (the same as characters for valid names).
MAX_NAME_LENGTH = 64

#: The rules, in the words of the error messages (the order is the order they are checked in).
RULE_LENGTH = f"must be between 1 and {MAX_NAME_LENGTH} characters long"
RULE_CONSECUTIVE_HYPHENS = "cannot contain consecutive hyphens"
RULE_CHARACTERS = "must contain only ASCII letters, digits, and hyphens"
RULE_FIRST_CHARACTER = "must start with an ASCII letter"
RULE_LAST_CHARACTER = "cannot end with a hyphen"


class InvalidNameError(DistributedApplicationException, ValueError):
    """A resource or endpoint name breaks the naming rules.

    ``target`` says what was being named (``"Resource"``, ``"Endpoint"``), ``name`` is the
    offending name and ``rule`` the rule it broke, in words (``"cannot end with a hyphen"``).
    The message has Aspire's form: ``Resource name 'db-' is invalid. Name cannot end with a hyphen.``
    """

    def __init__(self, target: str, name: str, rule: str) -> None:
        self.target = target
        self.name = name
        self.rule = rule
        super().__init__(f"{target} name {name!r} is invalid. Name {rule}.")


def _is_ascii_letter(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def _is_ascii_letter_or_digit(ch: str) -> bool:
    return _is_ascii_letter(ch) or ("0" <= ch <= "9")


def _utf16_length(name: str) -> int:
    # Aspire measures .NET string length (UTF-16 code units); only matters for non-ASCII names,
    # which are invalid anyway, but it decides which rule the message names.
    if name.isascii():
        return len(name)
    return len(name.encode("utf-16-le", "surrogatepass")) // 2




#: Names found valid so far (the first few hundred: a bounded memo, so that the endpoint names repeated on every
#: resource, and a name checked twice on its way into the model, are looked up rather than checked again).
_KNOWN_VALID: set[str] = set()
_KNOWN_VALID_MAX = 512
#: The last name found valid (this very string object): ``add_executable`` checks its name, then the resource's
#: class checks it again (once the memo above is full, every name of a large model would be checked twice).
_last_valid: list[object] = [object()]  # no name is this object


def validate_name(target: str, name: object) -> str:
    """Check ``name`` against Aspire's rules and return it unchanged.

    The rules, checked in Aspire's order:

    1. 1 to 64 characters long;
    2. no two hyphens in a row, and only ASCII letters, ASCII digits and hyphens (checked
       character by character, so the first offending character decides which is reported);
    3. starts with an ASCII letter;
    4. does not end with a hyphen.

    Raises :class:`InvalidNameError` naming the first rule broken, or :class:`TypeError` when
    ``name`` is not a string.
    """
    if type(name) is str and (name is _last_valid[0] or name in _KNOWN_VALID):
        return name  # checked before: endpoint names (``tcp``, ``http``) again and again, a name on its way in twice
    if (
        type(name) is str
        and 0 < len(name) <= MAX_NAME_LENGTH
        and name.isascii()
        and name[0].isalpha()  # an ASCII letter (the name is ASCII)
        and name.replace("-", "a").isalnum()  # ASCII letters, digits and hyphens only
        and "--" not in name
        and name[-1] != "-"
    ):
        if len(_KNOWN_VALID) < _KNOWN_VALID_MAX:
            _KNOWN_VALID.add(name)
        _last_valid[0] = name
        return name  # every rule holds (checked at once; the walk below only runs to name the broken one)
    if not isinstance(name, str):
        raise TypeError(f"{target} name must be a str, not {type(name).__name__}")
    if not 1 <= _utf16_length(name) <= MAX_NAME_LENGTH:
        raise InvalidNameError(target, name, RULE_LENGTH)
    previous_hyphen = False
    for ch in name:
        if ch == "-":
            if previous_hyphen:
                raise InvalidNameError(target, name, RULE_CONSECUTIVE_HYPHENS)
            previous_hyphen = True
        elif not _is_ascii_letter_or_digit(ch):
            raise InvalidNameError(target, name, RULE_CHARACTERS)
        else:
            previous_hyphen = False
    if not _is_ascii_letter(name[0]):
        raise InvalidNameError(target, name, RULE_FIRST_CHARACTER)
    if name[-1] == "-":
        raise InvalidNameError(target, name, RULE_LAST_CHARACTER)
    return name


def name_key(name: str) -> str:
    """The key names are compared by: resource and endpoint names are case-insensitive.

    Valid names are ASCII, so lower-casing is Aspire's ordinal-ignore-case comparison.
    """
    return name.lower()


#: Hex digits of the app host hash in persistent container and network names (Aspire's DCP uses 8).
APP_HOST_HASH_CONTAINER = 8
#: Hex digits of the app host hash in generated data volume names (Aspire's volume names use 10).
APP_HOST_HASH_VOLUME = 10
#: Hex digits of the app host hash in the secrets store's file name.
APP_HOST_HASH_SECRETS = 16


def app_host_hash(app_host_path: str | _PathLike, length: int = APP_HOST_HASH_CONTAINER, *, fold_case: bool) -> str:
    """The app host's identity in names: the SHA-256 of its absolute path, in hex, cut to *length*.

    With ``fold_case`` (the app host's file system ignores case: macOS's default, Windows) the path is
    lower-cased first, so the same file reached through different cases keeps its names; without it
    (Linux) ``/x/App/apphost.py`` and ``/x/app/apphost.py`` are two app hosts and never share. An
    all-lower-case path hashes the same either way. ``aspyre._platform.app_host_hash_of`` decides
    ``fold_case`` by looking at the path; this function does not look at the file system.

    One rule for every name keyed on the app host, so the same app host always finds its own objects
    and two checkouts of a project never share them. The lengths differ because the names already
    exist on users' machines and must stay stable: :data:`APP_HOST_HASH_CONTAINER` (8) for persistent
    containers and their network, :data:`APP_HOST_HASH_VOLUME` (10) for data volumes and
    :data:`APP_HOST_HASH_SECRETS` (16) for the secrets file. Pass an absolute path.
    """
    if not 1 <= length <= 64:
        raise ValueError(f"an app host hash has 1 to 64 hex digits, not {length}")
    path = app_host_path if isinstance(app_host_path, str) else app_host_path.__fspath__()
    if fold_case:
        path = path.lower()
    import hashlib

    return hashlib.sha256(path.encode()).hexdigest()[:length]


_present_top_level(globals())  # its names of aspyre.__all__ report "aspyre", however they are reached
