"""A resource class that ``stub_plugin.with_lazy`` names by a string (``test_stub_render.py``): never imported by
``stub_plugin`` itself."""

from __future__ import annotations

import attrs

import aspyre


@attrs.define(eq=False, repr=False)
class LazyResource(aspyre.ContainerResource):
    """Only ``aspyre stubs`` (and a test that adds one) imports this module."""
