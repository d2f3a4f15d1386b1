"""Plain records: what @dataclass gives (equality, repr, a hash when frozen), at a fraction of its cost.

A dataclass writes its methods as source and compiles them when its module is imported: 0.4–1.2 ms a class on a
2-core machine, and every command imported some twenty-five of them (the pipeline model, the store's rows, the
workspace) before doing anything. A record costs microseconds: a subclass lists its fields in `__slots__` (a name
starting with _ is private: not compared, shown or exported) and writes its own `__init__`, which takes the fields
in that order; the methods here are written once and compiled with this module's bytecode.
"""

from __future__ import annotations


class Record:
    """A mutable record; like a dataclass that is not frozen, equal by its fields and not hashable."""

    __slots__ = ()
    field_names: tuple[str, ...] = ()  # the public slots, in order: set for each subclass
    __hash__ = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.field_names = tuple(name for name in cls.__slots__ if not name.startswith("_"))

    def _key(self) -> tuple:
        return tuple(getattr(self, name) for name in self.field_names)

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return self._key() == other._key()
        return NotImplemented

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in zip(self.field_names, self._key()))
        return f"{type(self).__name__}({shown})"

    def as_dict(self) -> dict:
        """The fields by name, as dataclasses.asdict gives them: dicts and lists copied, never shared."""
        import copy

        return {name: copy.deepcopy(value) if isinstance(value, (dict, list)) else value
                for name, value in zip(self.field_names, self._key())}

    @classmethod
    def required_names(cls) -> tuple[str, ...]:
        """The fields `__init__` cannot do without: those before its first default."""
        return cls.field_names[:len(cls.field_names) - len(cls.__init__.__defaults__ or ())]


class FrozenRecord(Record):
    """An immutable record, like a frozen dataclass: assigning a field raises, and equal records hash alike.
    Its `__init__` sets the fields with `_set`."""

    __slots__ = ()

    def __hash__(self) -> int:
        return hash(self._key())

    def __setattr__(self, name, value):
        raise AttributeError(f"cannot assign to field {name!r} of a frozen {type(self).__name__}")

    def __delattr__(self, name):
        raise AttributeError(f"cannot delete field {name!r} of a frozen {type(self).__name__}")

    def _set(self, *values) -> None:
        """The fields, in their order, once: what `__init__` was given."""
        for name, value in zip(self.field_names, values):
            object.__setattr__(self, name, value)
