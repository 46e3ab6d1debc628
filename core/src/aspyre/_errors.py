"""The base of aspyre's own errors (Aspire's ``DistributedApplicationException``).

It sits below every room (it imports nothing of aspyre), so each room derives its error types from it.
"""

from __future__ import annotations

from aspyre._public import present_top_level as _present_top_level

__all__ = ["DistributedApplicationException"]


class DistributedApplicationException(Exception):
    """Base of every error aspyre raises for a problem of the app: catch it to catch "anything aspyre raised".

    Each error type also derives from the built-in exception that fits it (``ValueError`` for a bad
    name, ``LookupError`` for a missing parameter value, ``ImportError`` for a plugin that cannot be
    loaded...), so ``except ValueError`` keeps working. Errors of Python itself (a ``TypeError`` for a
    call with the wrong arguments) are not wrapped.
    """


_present_top_level(globals())  # its names of aspyre.__all__ report "aspyre", however they are reached
