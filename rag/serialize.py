"""Plain JSON values from the library's types, for the HTTP API and ``rag ask --json``.

Generic on purpose: dataclasses are walked field by field, so a field added to
`Answer` or `Passage` appears in the JSON without changes here. Enums become
their ``.value``, tuples and sets lists, numpy scalars and arrays Python
numbers and lists, paths strings. Fields whose names start with "_" are
internal and left out.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from pathlib import PurePath
from typing import Any


def to_jsonable(obj: Any) -> Any:
    """``obj`` as dicts, lists, strings, numbers, booleans and None (``json.dumps`` takes it as is)."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, enum.Enum):
        return to_jsonable(obj.value)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None  # JSON has no NaN or infinity
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj) if not f.name.startswith("_")}
    if isinstance(obj, dict):
        return {str(to_jsonable(k)): to_jsonable(v) for k, v in obj.items() if not str(k).startswith("_")}
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = sorted(obj, key=repr) if isinstance(obj, (set, frozenset)) else obj
        return [to_jsonable(v) for v in items]
    if isinstance(obj, PurePath):
        return str(obj)
    # numpy without importing it: scalars have .item(), arrays .tolist()
    if hasattr(obj, "tolist") and hasattr(obj, "dtype"):
        return to_jsonable(obj.tolist())
    if hasattr(obj, "item") and hasattr(obj, "dtype"):
        return to_jsonable(obj.item())
    raise TypeError(f"{type(obj).__name__} has no JSON form; add it to rag.serialize.to_jsonable.")
