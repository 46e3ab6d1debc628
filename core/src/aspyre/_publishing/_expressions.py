"""Reading manifest expressions back: ``"Host={pg.bindings.tcp.host};Password={pg-password.value}"``.

The manifest writer turns every value into literals and placeholders. A publisher that targets
another engine starts from the manifest (so callbacks, ordering and ports are the manifest's) and
resolves each placeholder its own way: a Compose service name, a Kubernetes Secret key...
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container

import attrs

__all__ = ["ManifestPlaceholder", "parse_manifest_expression", "render_manifest_expression"]

# A resource name (letters, digits, hyphens; starts with a letter) and a dotted path.
_PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9-]*)\.([A-Za-z][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)\}")


@attrs.frozen
class ManifestPlaceholder:
    """One placeholder of a manifest expression: ``{resource.path}``.

    ``path`` is what follows the resource name: ``bindings.http.url``, ``connectionString``,
    ``value``, ``inputs.value``.
    """

    resource: str
    path: str

    @property
    def parts(self) -> tuple[str, ...]:
        """The path split at dots: ``("bindings", "http", "url")``."""
        return tuple(self.path.split("."))

    @property
    def text(self) -> str:
        """The placeholder as written in the manifest."""
        return f"{{{self.resource}.{self.path}}}"

    def __str__(self) -> str:
        return self.text


def parse_manifest_expression(text: str, resources: Container[str] | None = None) -> list[str | ManifestPlaceholder]:
    """Split a manifest expression into literal strings and :class:`ManifestPlaceholder` s, in order.

    With ``resources`` (the names of the manifest's entries), a ``{x.y}`` whose ``x`` is not one
    of them is literal text that happens to contain braces. Adjacent literals are merged; an
    empty ``text`` gives ``[]``::

        parse_manifest_expression("{cache.bindings.tcp.host}:6379")
        # [ManifestPlaceholder("cache", "bindings.tcp.host"), ":6379"]
    """
    out: list[str | ManifestPlaceholder] = []

    def literal(s: str) -> None:
        if not s:
            return
        if out and isinstance(out[-1], str):
            out[-1] += s
        else:
            out.append(s)

    pos = 0
    for m in _PLACEHOLDER.finditer(text):
        if resources is not None and m.group(1) not in resources:
            continue
        literal(text[pos : m.start()])
        out.append(ManifestPlaceholder(m.group(1), m.group(2)))
        pos = m.end()
    literal(text[pos:])
    return out


def render_manifest_expression(
    text: str,
    placeholder: Callable[[ManifestPlaceholder], str],
    literal: Callable[[str], str] = lambda s: s,
    resources: Container[str] | None = None,
) -> str:
    """``text`` with each placeholder replaced by ``placeholder(p)`` and each literal by ``literal(s)``.

    ``literal`` escapes text for the target (Compose doubles ``$``); see
    :func:`parse_manifest_expression` for ``resources``.
    """
    return "".join(
        placeholder(part) if isinstance(part, ManifestPlaceholder) else literal(part)
        for part in parse_manifest_expression(text, resources)
    )
