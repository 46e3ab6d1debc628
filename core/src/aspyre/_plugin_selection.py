"""Which installed plugins a builder uses: every one but those switched off, or only those asked for.

Below every room, like the registry (:mod:`aspyre._plugins`): the ``aspyre`` command sets the selection of a
run (``-p no:NAME``, ``-p NAME``, ``--disable-plugin-autoload``), the environment variables set it for any
process, and ``builder.disable_plugin()`` for one builder.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import attrs

from ._plugins import (
    CORE_DISTRIBUTION,
    DISABLE_AUTOLOAD_ENV,
    DISABLE_PLUGINS_ENV,
    PLUGINS_ENV,
    normalize_distribution,
)

if TYPE_CHECKING:  # making a Protocol class costs ~0.1 ms; only the annotations use it
    from typing import Protocol

    class _Entry(Protocol):
        """What the selection reads of a plugin entry."""

        @property
        def name(self) -> str: ...

        @property
        def distribution(self) -> str: ...


__all__ = [
    "CORE_DISTRIBUTION",
    "DISABLE_AUTOLOAD_ENV",
    "DISABLE_PLUGINS_ENV",
    "PLUGINS_ENV",
    "PluginSelection",
]


@attrs.frozen
class PluginSelection:
    """Which installed plugins are used: every one but those switched off, or only those asked for.

    Names are distribution names (``aspyre-redis``, compared as packaging does), entry-point names
    (``dashboard``, ``add_redis``) or ``distribution:entry``. The core's own entries (the ``manifest``
    publisher) are always used.
    """

    #: Names switched off (``-p no:NAME``, ``ASPYRE_DISABLE_PLUGINS``, ``builder.disable_plugin``).
    disabled: frozenset[str] = frozenset()
    #: Names asked for (``-p NAME``, ``ASPYRE_PLUGINS``): what loads when autoloading is off.
    enabled: frozenset[str] = frozenset()
    #: Whether every installed plugin is used unless switched off (``ASPYRE_DISABLE_PLUGIN_AUTOLOAD`` unset).
    autoload: bool = True

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> PluginSelection:
        """The selection the environment variables describe (read at each call)."""
        env = os.environ if environ is None else environ
        autoload_off = env.get(DISABLE_AUTOLOAD_ENV, "").strip().lower() not in ("", "0", "false", "no")
        return cls(
            disabled=frozenset(_names(env.get(DISABLE_PLUGINS_ENV, ""))),
            enabled=frozenset(_names(env.get(PLUGINS_ENV, ""))),
            autoload=not autoload_off,
        )

    def with_options(
        self, *, disabled: Iterable[str] = (), enabled: Iterable[str] = (), autoload: bool | None = None
    ) -> PluginSelection:
        """This selection with more names switched off or asked for (and autoloading set, if given)."""
        return PluginSelection(
            disabled=self.disabled | {n.strip() for n in disabled if n.strip()},
            enabled=self.enabled | {n.strip() for n in enabled if n.strip()},
            autoload=self.autoload if autoload is None else autoload,
        )

    @staticmethod
    def matches(entry: _Entry, name: str) -> bool:
        """Whether ``name`` designates ``entry`` (its distribution, its entry-point name, or both)."""
        dist = normalize_distribution(entry.distribution)
        wanted_dist, sep, wanted_entry = name.partition(":")
        if sep:
            return normalize_distribution(wanted_dist) == dist and wanted_entry == entry.name
        return name == entry.name or normalize_distribution(name) == dist

    def allows(self, entry: _Entry) -> bool:
        """Whether ``entry`` is used."""
        if normalize_distribution(entry.distribution) == CORE_DISTRIBUTION:
            return True
        if any(self.matches(entry, n) for n in self.disabled):
            return False
        return self.autoload or any(self.matches(entry, n) for n in self.enabled)

    def reason(self, entry: _Entry) -> str:
        """Why ``entry`` is not used, and how to use it (for messages)."""
        dist = normalize_distribution(entry.distribution)
        if any(self.matches(entry, n) for n in self.disabled):
            names = ", ".join(sorted(n for n in self.disabled if self.matches(entry, n)))
            return (
                f"{entry.distribution} is switched off for this run ({names} in -p no:NAME, {DISABLE_PLUGINS_ENV} "
                "or builder.disable_plugin())"
            )
        return (
            f"plugin autoloading is off ({DISABLE_AUTOLOAD_ENV} or --disable-plugin-autoload) and {entry.distribution} "
            f"was not asked for: add -p {dist} (or {PLUGINS_ENV}={dist})"
        )

    def unknown_names(self, entries: Iterable[_Entry]) -> list[str]:
        """The names (switched off or asked for) that designate none of ``entries``."""
        entries = list(entries)
        return sorted(n for n in self.disabled | self.enabled if not any(self.matches(e, n) for e in entries))


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]
