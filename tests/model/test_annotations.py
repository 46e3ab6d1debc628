"""Annotations: typed lookups (last of type, all of type) and append vs replace."""

from __future__ import annotations

import attrs

import aspyre
from aspyre.annotations import Annotations, MutationBehavior


@attrs.frozen
class Tag(aspyre.annotations.ResourceAnnotation):
    value: str


@attrs.frozen
class SpecialTag(Tag):
    pass


class Plain:
    """Any object can be an annotation; lookups are by type."""


def test_empty_collection() -> None:
    anns = Annotations()
    assert len(anns) == 0
    assert anns.last(Tag) is None
    assert anns.last(Tag, Tag("default")) == Tag("default")
    assert anns.all(Tag) == []
    assert not anns.has(Tag)


def test_last_and_all_of_type_follow_insertion_order_and_subclasses() -> None:
    anns = Annotations()
    a, b, c = Tag("a"), SpecialTag("b"), Tag("c")
    plain = Plain()
    for x in (a, plain, b, c):
        anns.add(x)
    assert anns.all(Tag) == [a, b, c]
    assert anns.all(SpecialTag) == [b]
    assert anns.all(Plain) == [plain]
    assert anns.last(Tag) is c
    assert anns.last(SpecialTag) is b
    assert list(anns) == [a, plain, b, c]
    assert plain in anns
    assert Tag("a") not in anns  # membership is identity, not equality


def test_append_keeps_existing_annotations() -> None:
    anns = Annotations()
    anns.add(Tag("a"))
    anns.add(Tag("b"), MutationBehavior.APPEND)
    assert [t.value for t in anns.all(Tag)] == ["a", "b"]


def test_replace_drops_annotations_of_exactly_the_same_type() -> None:
    anns = Annotations()
    special = SpecialTag("s")
    anns.add(Tag("a"))
    anns.add(special)
    anns.add(Tag("b"))
    new = anns.add(Tag("c"), MutationBehavior.REPLACE)
    assert new == Tag("c")
    # Tags were replaced; the subclass instance is another type and stays.
    assert anns.all(Tag) == [special, Tag("c")]
    assert anns.last(Tag) == Tag("c")


def test_remove_and_remove_all() -> None:
    anns = Annotations()
    a, b = Tag("a"), Tag("b")
    anns.add(a)
    anns.add(b)
    anns.add(SpecialTag("s"))
    anns.remove(a)
    assert anns.all(Tag) == [b, SpecialTag("s")]
    anns.remove_all(Tag)
    assert len(anns) == 0


def test_iteration_is_a_snapshot() -> None:
    anns = Annotations([Tag("a")])
    for _ in anns:
        anns.add(Tag("more"))  # no infinite loop: iteration works on a copy
    assert len(anns) == 2


def test_builder_methods_append_or_replace_as_aspire(tmp_path) -> None:  # type: ignore[no-untyped-def]
    builder = aspyre.DistributedApplicationBuilder([], app_host_path=tmp_path / "apphost.py")
    c = builder.add_container("c", "redis:7")
    # Replace: the image, the lifetime, explicit start, the manifest callback.
    c.with_image("valkey/valkey", "8").with_lifetime(aspyre.ContainerLifetime.PERSISTENT)
    c.with_lifetime(aspyre.ContainerLifetime.SESSION).with_explicit_start().with_explicit_start()
    anns = c.resource.annotations
    assert len(anns.all(aspyre.annotations.ContainerImageAnnotation)) == 1
    assert anns.last(aspyre.annotations.ContainerImageAnnotation) == aspyre.annotations.ContainerImageAnnotation("valkey/valkey", "8")
    assert [a.lifetime for a in anns.all(aspyre.annotations.ContainerLifetimeAnnotation)] == [aspyre.ContainerLifetime.SESSION]
    assert len(anns.all(aspyre.annotations.ExplicitStartAnnotation)) == 1
    # Append: environment, args, volumes, waits.
    c.with_environment("A", "1").with_environment("A", "2").with_args("x").with_args("y")
    c.with_volume("data", "/data").with_volume("/tmp/x")
    assert [(e.name, e.value) for e in anns.all(aspyre.annotations.EnvironmentAnnotation)] == [("A", "1"), ("A", "2")]
    assert [a.args for a in anns.all(aspyre.annotations.CommandLineArgsAnnotation)] == [("x",), ("y",)]
    assert [(m.source, m.target) for m in anns.all(aspyre.annotations.ContainerMountAnnotation)] == [
        ("data", "/data"),
        (None, "/tmp/x"),
    ]
    # with_annotation takes either behaviour.
    c.with_annotation(Tag("a")).with_annotation(Tag("b"))
    assert len(anns.all(Tag)) == 2
    c.with_annotation(Tag("c"), MutationBehavior.REPLACE)
    assert anns.all(Tag) == [Tag("c")]


def test_lookups_stay_right_as_the_collection_changes() -> None:
    # Ask before and after every kind of change (a guard for any lookup shortcut: an index by kind was tried
    # for issue 19 and measured no faster, resources having few annotations each).
    anns = Annotations()
    assert anns.all(Tag) == [] and not anns.has(Tag) and anns.last(Plain) is None
    a = anns.add(Tag("a"))
    s = anns.add(SpecialTag("s"))
    assert anns.all(Tag) == [a, s] and anns.all(SpecialTag) == [s] and anns.has(SpecialTag)
    listed = anns.all(Tag)
    listed.append(Tag("not added"))  # a copy: changing it changes nothing
    assert anns.all(Tag) == [a, s]
    p = anns.add(Plain())
    assert anns.last(Plain) is p and anns.all(object) == [a, s, p]
    b = anns.add(Tag("b"), MutationBehavior.REPLACE)  # drops exactly Tag, keeps SpecialTag
    assert anns.all(Tag) == [s, b] and anns.last(Tag) is b and anns.all(object) == [s, p, b]
    anns.remove(s)
    assert anns.all(Tag) == [b] and anns.all(SpecialTag) == [] and not anns.has(SpecialTag)
    anns.remove_all(Tag)
    assert anns.all(Tag) == [] and anns.all(object) == [p] and anns.last(Tag, b) is b
    c = anns.add(SpecialTag("c"))
    assert anns.all(Tag) == [c] and anns.all(SpecialTag) == [c] and anns.last(Tag) is c


def test_grouped_lookups_answer_as_a_full_scan_and_forget_at_every_change() -> None:
    """``build()`` groups each resource's annotations by kind in one pass; answers must stay those of a scan."""
    anns = Annotations()
    a, b, plain = Tag("a"), SpecialTag("b"), Plain()
    for x in (a, plain, b):
        anns.add(x)
    anns._group_by((Tag, SpecialTag, Plain))
    assert anns.all(Tag) == [a, b]
    assert anns.all(SpecialTag) == [b]
    assert anns.last(Tag) is b
    assert anns.has(Plain)
    assert anns.all(str) == []  # a kind that was not grouped: scanned
    anns.all(Tag).append(Tag("x"))  # the caller's copy
    assert anns.all(Tag) == [a, b]
    c = anns.add(Tag("c"))  # a change forgets the groups
    assert anns.all(Tag) == [a, b, c]
    assert anns.last(Tag) is c
    anns._group_by((Tag,))
    anns.add(SpecialTag("d"), MutationBehavior.REPLACE)
    assert [t.value for t in anns.all(Tag)] == ["a", "c", "d"]
    anns._group_by((Tag, Plain))
    anns.remove_all(Plain)
    assert not anns.has(Plain)
    anns._group_by((Tag,))
    anns.remove(a)
    assert [t.value for t in anns.all(Tag)] == ["c", "d"]
    assert anns.last(Plain, None) is None


def test_collections_that_start_empty_never_share_what_is_added_later() -> None:
    """An empty collection holds no list of its own until its first annotation (fewer objects per parameter):
    collections that started empty stay independent, whichever way annotations are added."""
    first, second, third = Annotations(), Annotations(), Annotations([])
    first.add(Tag("a"))
    assert [n.value for n in first.all(Tag)] == ["a"]
    assert len(second) == 0 and second.all(Tag) == [] and second.last(Tag) is None and not second.has(Tag)
    second.add(Tag("b"), MutationBehavior.REPLACE)  # the first annotation added with REPLACE
    third.add(Tag("c"))
    assert [n.value for n in second.all(Tag)] == ["b"]
    assert [n.value for n in third.all(Tag)] == ["c"]
    assert [n.value for n in first.all(Tag)] == ["a"]
    fourth = Annotations()
    fourth.remove_all(Tag)
    fourth.remove(Tag("x"))
    fourth._group_by((Tag,))  # grouped while empty, then changed: the groups are forgotten
    assert fourth.all(Tag) == [] and fourth._view(Tag) == ()
    added = fourth.add(Tag("d"))
    assert [n.value for n in fourth.all(Tag)] == ["d"] and first.all(Tag)[0].value == "a"
    assert list(Annotations()) == [] and added in fourth and added not in first
