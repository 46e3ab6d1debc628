"""How much a new process may be given: the operating system's limits on arguments and environment.

``execve`` refuses a process whose arguments and environment are too large with ``E2BIG`` ("Argument
list too long"), which says nothing about which variable. On Linux one string (an argument, or one
``NAME=value``) may have at most ``MAX_ARG_STRLEN`` = 128 KiB, and all of them together, with one
pointer each, at most ``ARG_MAX`` (a quarter of the stack limit: 2 MiB by default, 6 MiB at most);
macOS has only the total (1 MiB). :func:`exec_size_problems` says, in words naming the resource and the
variable, what would not fit; the limits come from the caller (the machine's, or a container's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

__all__ = [
    "LINUX_CONTAINER_LIMITS",
    "LINUX_MAX_ARG_STRLEN",
    "ExecLimits",
    "InheritedEnvironment",
    "exec_size_problems",
]

#: Linux's ``MAX_ARG_STRLEN``: 32 pages of 4 KiB.
LINUX_MAX_ARG_STRLEN = 32 * 4096


@attrs.frozen
class ExecLimits:
    """The limits a process start must respect (``None``: none known)."""

    #: Bytes of every argument and environment string (with its NUL) plus one pointer each (``ARG_MAX``).
    total: int | None
    #: Bytes of one string, with its NUL (``MAX_ARG_STRLEN``).
    per_string: int | None
    #: Where the process starts, for messages ("Linux", "a Linux container").
    where: str = "this machine"
    pointer_size: int = 8


#: A container's process (Linux, the default 8 MiB stack): what its entrypoint is started with.
LINUX_CONTAINER_LIMITS = ExecLimits(total=2 * 1024 * 1024, per_string=LINUX_MAX_ARG_STRLEN, where="a Linux container")

_FIX = (
    "Pass large data in a file instead (write it next to the app host and pass its path, or mount it into a "
    "container with with_bind_mount())."
)


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogateescape")) + 1


def _bytes(n: int) -> str:
    return f"{n:,} bytes"


class InheritedEnvironment:
    """An environment many processes inherit (the app host's), measured once: the size of each ``NAME=value``."""

    __slots__ = ("mapping", "oversized", "sizes", "total")

    def __init__(self, mapping: Mapping[str, str], per_string: int | None) -> None:
        self.mapping = dict(mapping)
        self.sizes = {k: _size(f"{k}={v}") for k, v in self.mapping.items()}
        self.total = sum(self.sizes.values())
        #: The variables over the limit for one string (``per_string`` of the limits it was measured for).
        self.oversized = frozenset(k for k, size in self.sizes.items() if per_string is not None and size > per_string)


#: No inherited environment (a container's process), measured.
_NOTHING_INHERITED = InheritedEnvironment({}, None)


def _fits(args: Sequence[str], env: Mapping[str, str], limits: ExecLimits, host: InheritedEnvironment) -> bool:
    """Whether nothing is over ``limits``, counted without building the messages (most processes fit)."""
    if limits.per_string is not None and any(k not in env for k in host.oversized):
        return False
    # First a bound from the lengths alone (a character is at most 4 bytes in UTF-8): most processes are far
    # below the limits, and encoding every string would cost more than the rest of the checks.
    lengths = [len(a) for a in args]
    lengths.extend([len(k) + len(v) + 1 for k, v in env.items()])
    longest = 4 * max(lengths, default=0) + 1
    if (limits.per_string is None or longest <= limits.per_string) and (
        limits.total is None
        or 4 * sum(lengths) + len(lengths) + host.total + limits.pointer_size * (len(lengths) + len(host.sizes) + 2)
        <= limits.total
    ):
        return True
    sizes = [_size(a) for a in args] + [_size(f"{k}={v}") for k, v in env.items()]
    if limits.per_string is not None and any(size > limits.per_string for size in sizes):
        return False
    if limits.total is None:
        return True
    shadowed = [k for k in env if k in host.sizes]
    count = len(sizes) + len(host.sizes) - len(shadowed)
    total = sum(sizes) + host.total - sum(host.sizes[k] for k in shadowed) + limits.pointer_size * (count + 2)
    return total <= limits.total


def exec_size_problems(
    resource_name: str,
    args: Sequence[str],
    env: Mapping[str, str],
    limits: ExecLimits,
    *,
    inherited: Mapping[str, str] | InheritedEnvironment | None = None,
    known_only: bool = False,
) -> list[str]:
    """What in ``args`` (the command first) and ``env`` would make starting the process fail, in words.

    ``inherited`` is the environment the process also gets from the app host (its own variables win);
    checking many processes, measure it once with :class:`InheritedEnvironment` (made for the same
    ``limits.per_string``). With ``known_only`` (at ``build()``, when deferred values are not known yet)
    the total is reported as "at least". Empty when it fits, or when no limit is known.
    """
    if inherited is None:
        inherited = _NOTHING_INHERITED
    if isinstance(inherited, InheritedEnvironment):
        if _fits(args, env, limits, inherited):
            return []
        inherited = inherited.mapping
    problems: list[str] = []
    host = inherited or {}
    full = {**host, **env}
    # (what, size) of every string execve copies: the command and arguments, then NAME=value.
    strings = [("the command" if i == 0 else f"argument {i}", _size(a)) for i, a in enumerate(args)]
    for k, v in full.items():
        origin = "" if k in env else " (inherited from the app host)"
        strings.append((f"environment variable {k!r}{origin}", _size(f"{k}={v}")))
    if limits.per_string is not None:
        for what, size in strings:
            if size > limits.per_string:
                problems.append(
                    f"Resource {resource_name!r}: {what} is {_bytes(size)}; {limits.where} allows at most "
                    f"{_bytes(limits.per_string)} for one argument or variable (NAME=value; MAX_ARG_STRLEN), so the "
                    f"process could not start ('Argument list too long'). {_FIX}"
                )
    if limits.total is not None:
        total = sum(size for _, size in strings) + limits.pointer_size * (len(strings) + 2)
        if total > limits.total:
            largest = sorted(strings, key=lambda item: -item[1])[:3]
            named = ", ".join(f"{what} ({_bytes(size)})" for what, size in largest)
            from_host = sum(_size(f"{k}={v}") for k, v in host.items() if k not in env)
            host_text = f", {_bytes(from_host)} of it inherited from the app host" if from_host else ""
            at_least = "at least " if known_only else ""
            problems.append(
                f"Resource {resource_name!r}: its arguments and environment total {at_least}{_bytes(total)}"
                f"{host_text} (the largest: {named}), over the {_bytes(limits.total)} {limits.where} allows for "
                f"starting a process (ARG_MAX), so it could not start ('Argument list too long'). {_FIX}"
            )
    return problems
