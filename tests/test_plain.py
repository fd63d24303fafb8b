"""deskcli.plain.Record: the dataclass stand-in every model uses."""

import pytest

from deskcli.plain import Record, new


class Base(Record):
    x: int
    tags: list = new(list)
    kind: str = "a"


class Child(Base):
    extra: dict = new(dict)


def test_fields_defaults_and_fresh_values():
    first, second = Base(1), Base(x=1)
    assert first == second and first.kind == "a" and first.tags == []
    first.tags.append("t")
    assert second.tags == [] and Base(2).tags == []  # a fresh list per instance
    assert Base(1, ["u"], "b") == Base(x=1, tags=["u"], kind="b")
    assert repr(Base(3)) == "Base(x=3, tags=[], kind='a')"


def test_subclasses_inherit_fields_in_order():
    child = Child(5, extra={"k": 1})
    assert Child._fields == ("x", "tags", "kind", "extra")
    assert (child.x, child.kind, child.extra) == (5, "a", {"k": 1})
    assert Child(5) != Base(5)  # another type is never equal


@pytest.mark.parametrize("make, message", [
    (lambda: Base(), "Base needs 'x'"),
    (lambda: Base(1, [], "a", 4), "Base takes at most 3 values"),
    (lambda: Base(1, x=2), "Base got 'x' twice"),
    (lambda: Base(x=1, colour="red"), "Base has no field colour"),
])
def test_mistakes_are_type_errors(make, message):
    with pytest.raises(TypeError, match=f"^{message}$"):
        make()
