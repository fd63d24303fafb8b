"""Record: a light stand-in for dataclasses on the start-up path.

`@dataclass` generates and compiles code for every class when a module is imported
(about a millisecond each); with a dozen of them on the path of `ticket show`, that was a
measurable share of the command's start-up. A Record subclass lists its fields as
annotations with optional defaults (`new(list)` for a fresh list per instance) and gets
a keyword/positional __init__, __repr__ and __eq__ from this base class.

Kept, not dataclasses(slots=True) (issue 11; measured 2026-12-04, 31 paired process runs):
`ticket show` defines 9 Record classes with 120 fields in all; the same classes as
`@dataclass(slots=True)` take a process 38-41 ms against 26.5 ms as Records (24-25 ms for
Python with this module alone; two series): 12-15 ms more, over a quarter of the
command's ~44 ms, of which `import dataclasses` (inspect, ast, copy) is 7 ms and the
generated code the rest.
"""


class new:  # noqa: N801 - reads like a field default: `tags: list = new(list)`
    """A default made fresh for every instance."""

    __slots__ = ("make",)

    def __init__(self, make):
        self.make = make


class Record:
    _fields: tuple = ()
    _field_set: frozenset = frozenset()
    _required: frozenset = frozenset()
    _fixed: dict = {}
    _fresh: tuple = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        fields: list[str] = []
        defaults: dict = {}
        for klass in reversed(cls.__mro__):
            own = klass.__dict__
            for name in own.get("__annotations__", {}):
                if name.startswith("_"):
                    continue
                if name not in fields:
                    fields.append(name)
                if name in own:
                    defaults[name] = own[name]
        cls._fields = tuple(fields)
        cls._field_set = frozenset(fields)
        cls._required = frozenset(name for name in fields if name not in defaults)
        cls._fixed = {n: v for n, v in defaults.items() if not isinstance(v, new)}
        cls._fresh = tuple((n, v.make) for n, v in defaults.items() if isinstance(v, new))

    def __init__(self, *args, **kwargs):
        # a few set operations and two dict updates: a listing builds hundreds of these
        if args:
            if len(args) > len(self._fields):
                raise TypeError(f"{type(self).__name__} takes at most {len(self._fields)} "
                                "values")
            for name, value in zip(self._fields, args, strict=False):
                if name in kwargs:
                    raise TypeError(f"{type(self).__name__} got {name!r} twice")
                kwargs[name] = value
        if not self._field_set.issuperset(kwargs):
            unknown = [name for name in kwargs if name not in self._field_set]
            raise TypeError(f"{type(self).__name__} has no field {', '.join(unknown)}")
        if not self._required.issubset(kwargs):
            name = next(n for n in self._fields if n in self._required and n not in kwargs)
            raise TypeError(f"{type(self).__name__} needs {name!r}")
        values = self.__dict__
        values.update(self._fixed)
        for name, make in self._fresh:
            if name not in kwargs:
                values[name] = make()
        values.update(kwargs)

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({values})"

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self._fields)

    __hash__ = None  # mutable, like a dataclass without frozen=True
