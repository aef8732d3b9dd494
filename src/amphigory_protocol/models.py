"""`Model`: the base of the shared disc models (stdlib dataclasses) with the part of pydantic's model API their
callers use, so code written against pydantic models keeps working while a scan never imports pydantic.

Validation (`model_validate`, `model_validate_json`) is pydantic's own, through a `TypeAdapter` built on first use:
it checks types, literals and nested models, ignores unknown keys, and raises `pydantic.ValidationError`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any, ClassVar, Self


class _Fields:
    """``Model.model_fields``: the dataclass fields by name, on the class as pydantic has them."""

    def __get__(self, obj: object, owner: type) -> dict[str, dataclasses.Field[Any]]:
        return {f.name: f for f in dataclasses.fields(owner)}


_FLOAT_FIELDS: dict[type, tuple[str, ...]] = {}
_ADAPTERS: dict[type, Any] = {}


def _float_fields(cls: type) -> tuple[str, ...]:
    found = _FLOAT_FIELDS.get(cls)
    if found is None:  # the annotations are strings (``from __future__ import annotations``)
        kinds = ("float", "float|None")
        found = tuple(f.name for f in dataclasses.fields(cls) if str(f.type).replace(" ", "") in kinds)
        _FLOAT_FIELDS[cls] = found
    return found


def _adapter(cls: type) -> Any:
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        from pydantic import TypeAdapter

        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter


def _dump(value: Any, exclude_none: bool) -> Any:
    if isinstance(value, Model):
        return value.model_dump(exclude_none=exclude_none)
    if isinstance(value, list | tuple):
        return [_dump(v, exclude_none) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v, exclude_none) for k, v in value.items()}
    return value


class Model:
    """Mixin for ``@dataclass(kw_only=True)`` models; see the module docstring."""

    model_fields: ClassVar[_Fields] = _Fields()
    # how pydantic reads these dataclasses: unknown keys ignored, as the pydantic models did
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "ignore"}

    def __post_init__(self) -> None:
        # An int given for a float field is stored as a float, as pydantic did (the JSON says 5400.0, not 5400).
        for name in _float_fields(type(self)):
            value = getattr(self, name)
            if isinstance(value, int) and not isinstance(value, bool):
                setattr(self, name, float(value))

    def model_dump(self, *, mode: str = "python", exclude: set[str] | None = None,
                   exclude_none: bool = False) -> dict[str, Any]:
        """The model as a dict of plain values (``mode`` is accepted for pydantic's callers: the values are
        JSON's either way)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]  # self is a dataclass instance
            if exclude is not None and f.name in exclude:
                continue
            value = getattr(self, f.name)
            if exclude_none and value is None:
                continue
            out[f.name] = _dump(value, exclude_none)
        return out

    def model_dump_json(self, *, indent: int | None = None, exclude: set[str] | None = None,
                        exclude_none: bool = False) -> str:
        """JSON text, compact unless ``indent`` is given, non-ASCII kept as is (as pydantic writes it)."""
        data = self.model_dump(exclude=exclude, exclude_none=exclude_none)
        separators = (",", ":") if indent is None else (",", ": ")
        return json.dumps(data, indent=indent, ensure_ascii=False, separators=separators)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with ``update`` applied (not validated, like pydantic's); ``deep`` copies nested values too."""
        if deep:
            import copy

            return dataclasses.replace(copy.deepcopy(self), **(update or {}))  # type: ignore[type-var]
        return dataclasses.replace(self, **(update or {}))  # type: ignore[type-var]

    @classmethod
    def model_validate(cls, obj: Any) -> Self:
        """``obj`` (a dict, or an instance) checked and converted by pydantic; `pydantic.ValidationError` when it
        does not fit."""
        result: Self = _adapter(cls).validate_python(obj)
        return result

    @classmethod
    def model_validate_json(cls, data: str | bytes) -> Self:
        """JSON text checked and converted by pydantic; `pydantic.ValidationError` when it does not fit."""
        result: Self = _adapter(cls).validate_json(data)
        return result
