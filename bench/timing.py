"""The timer every benchmark shares (the benches run as scripts, so bench/ is on sys.path)."""
from __future__ import annotations

import time
from typing import Callable


def best_time(call: Callable[[], object], n_iter: int, repeats: int = 5) -> float:
    """CPU seconds per call (this process only: steadier than wall time on a shared machine): the fastest of
    ``repeats`` loops of ``n_iter`` calls, after a warm-up loop."""
    for _ in range(max(1, n_iter // 5)):
        call()
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(n_iter):
            call()
        best = min(best, (time.process_time() - start) / n_iter)
    return best
