"""Fast ``isinstance`` for the model's runtime-checkable protocols.

A runtime-checkable protocol answers ``isinstance`` by looking for each of its members on the
object, which costs tens of microseconds on Python 3.11; the model asks these questions for every
value of every resource when it validates or walks the graph. Their answer depends on the object's
type in practice (members are methods, properties, class attributes, or attributes every instance
of a class has), so it is computed once per (protocol, type) and remembered.
"""

from __future__ import annotations

from typing import Any, _ProtocolMeta

__all__ = ["CachedProtocolMeta", "ConcreteResourceMeta"]

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


class ConcreteResourceMeta(CachedProtocolMeta):
    """Metaclass of the resource classes (``Resource`` and its subclasses, which inherit the capability protocols):
    ``isinstance`` and ``issubclass`` against them are the plain type checks, done in C.

    A class that inherits a protocol gets the protocol's metaclass, whose ``isinstance`` is Python code (a frame,
    a cache lookup) even for a concrete class, where it only ever answers what the class hierarchy says: asked for
    every resource many times over by ``build()`` and publishing. Resource classes are concrete (never protocols),
    so the type's own checks give the same answers (``__class__`` of proxies included); ABC registration of virtual
    subclasses is not consulted for them.
    """

    __instancecheck__ = type.__instancecheck__  # type: ignore[assignment]
    __subclasscheck__ = type.__subclasscheck__
