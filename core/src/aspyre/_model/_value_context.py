"""What a value needs to know to resolve itself (:class:`ValueContext`).

Made where values are resolved (run mode, publishing, ``get_connection_string``, URL callbacks), so it is imported
there, not by an app host's builder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from aspyre._public import present as _present

from ._values import KnownNetworks

if TYPE_CHECKING:
    from ._execution import ExecutionContext

__all__ = ["ValueContext"]


@attrs.frozen
class ValueContext:
    """What a value needs to know to resolve itself.

    ``caller`` is the resource whose environment or arguments are being computed (``None`` when
    the app host itself asks), ``network`` the network the caller reaches other resources from.
    """

    caller: object | None = None
    network: str = KnownNetworks.LOCALHOST
    execution_context: ExecutionContext | None = None


_present(globals(), "aspyre.model")
