"""Record: a light stand-in for dataclasses on the start-up path.

`@dataclass` generates and compiles code for every class when a module is imported
(about a millisecond each); with a dozen of them on the path of `ticket show`, that was a
measurable share of the command's start-up. A Record subclass lists its fields as
annotations with optional defaults (`new(list)` for a fresh list per instance) and gets
a keyword/positional __init__, __repr__ and __eq__ from this base class.
"""


class new:  # noqa: N801 - reads like a field default: `tags: list = new(list)`
    """A default made fresh for every instance."""

    __slots__ = ("make",)

    def __init__(self, make):
        self.make = make


class Record:
    _fields: tuple = ()
    _defaults: dict = {}

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
        cls._defaults = defaults

    def __init__(self, *args, **kwargs):
        fields = self._fields
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__} takes at most {len(fields)} values")
        for name, value in zip(fields, args, strict=False):
            setattr(self, name, value)
        defaults = self._defaults
        for name in fields[len(args):]:
            if name in kwargs:
                setattr(self, name, kwargs.pop(name))
            elif name in defaults:
                value = defaults[name]
                setattr(self, name, value.make() if isinstance(value, new) else value)
            else:
                raise TypeError(f"{type(self).__name__} needs {name!r}")
        if kwargs:
            raise TypeError(f"{type(self).__name__} has no field {', '.join(kwargs)}")

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({values})"

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self._fields)

    __hash__ = None  # mutable, like a dataclass without frozen=True
