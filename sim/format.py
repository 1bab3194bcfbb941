"""Small formatters and converters shared by the tables, the report, the plots and the commands."""

from __future__ import annotations

import math


def jsonable(x):
    """NaN and infinities become null; numpy scalars plain numbers."""
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x
