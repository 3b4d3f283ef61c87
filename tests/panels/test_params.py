"""The slider readout: numbers a student reads at a glance."""
from __future__ import annotations

import pytest

from playground.widgets.params import readout_text


@pytest.mark.parametrize("value, shown", [
    (2000.0, "2,000"), (1000.0, "1,000"), (12345.6, "12,346"), (999.0, "999"), (0.003, "0.003"),
    (0.5, "0.5"), (64.0, "64"), (2e6, "2e+06"), (-1500.0, "-1,500"),
])
def test_counts_read_as_plain_numbers_and_small_values_keep_three_digits(value, shown):
    assert readout_text(value) == shown
