"""A bounded history of (step, values…) rows for the curves every training panel draws."""
from __future__ import annotations

import numpy as np


class History:
    """(step, values…) rows, at most ``capacity`` of them: when full, every other row is dropped and the spacing
    doubles, so a long run stays visible end to end. Which rows survive depends only on the step numbers."""

    def __init__(self, n_values: int, *, capacity: int = 1000, every: int = 1) -> None:
        self.n_values, self.capacity, self.stride = n_values, capacity, every
        self.steps: list[int] = []
        self.rows: list[tuple[float, ...]] = []

    def record(self, step: int, *values: float) -> None:
        if step % self.stride:
            return
        self.steps.append(step)
        self.rows.append(values)
        if len(self.steps) > self.capacity:
            self.stride *= 2
            keep = [i for i, s in enumerate(self.steps) if s % self.stride == 0]
            self.steps = [self.steps[i] for i in keep]
            self.rows = [self.rows[i] for i in keep]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(steps (H,), values (H, n_values)) as fresh arrays."""
        return np.array(self.steps, dtype=np.int64), np.array(self.rows, dtype=float).reshape(-1, self.n_values)

    def state(self) -> tuple:
        return tuple(self.steps), tuple(self.rows), self.stride

    def load_state(self, state: tuple) -> None:
        steps, rows, self.stride = state
        self.steps, self.rows = list(steps), list(rows)
