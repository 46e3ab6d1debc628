"""Fast ``isinstance`` for the model's runtime-checkable protocols.

A runtime-checkable protocol answers ``isinstance`` by looking for each of its members on the
object, which costs tens of microseconds on Python 3.11; the model asks these questions for every
value of every resource when it validates or walks the graph. Their answer depends on the object's
type in practice (members are methods, properties, class attributes, or attributes every instance
of a class has), so it is computed once per (protocol, type) and remembered.
"""

from __future__ import annotations

from typing import Any, _ProtocolMeta

__all__ = ["CachedProtocolMeta"]

_answers: dict[tuple[type, type], bool] = {}


class CachedProtocolMeta(_ProtocolMeta):
    """Metaclass of the model's protocols: ``isinstance`` answers are cached per type."""

    def __instancecheck__(cls, instance: Any) -> bool:
        key = (cls, type(instance))
        answer = _answers.get(key)
        if answer is None:
            # A class that inherits the protocol has it: no structural check, which would read every
            # member on the instance (properties included, such as a connection string expression that
            # itself asks this question: endless recursion).
            answer = cls in type(instance).__mro__ or super().__instancecheck__(instance)
            _answers[key] = answer
        return answer
