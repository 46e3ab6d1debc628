"""Eventing: event types, the bus, and the pluggy hook specifications."""
