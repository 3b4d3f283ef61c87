"""Field-by-field equality of two snapshots, for the determinism tests."""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from playground.models.base import Snapshot


def assert_snapshots_equal(a: Snapshot, b: Snapshot) -> None:
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        elif isinstance(x, float) and math.isnan(x):
            assert math.isnan(y), f.name
        else:
            assert x == y, f.name
