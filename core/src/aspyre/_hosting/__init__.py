"""Hosting: the builder, the application, configuration and plugin discovery (on top of the rooms)."""
