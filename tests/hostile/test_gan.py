"""Hostile input to the GAN 1-D panel: its number fields and a CSV column of numbers for the target."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile.support import (
    FileCase,
    broken_tables,
    count_used,
    hostile_settings,
    not_a_number,
    numbers_outside,
    refuse,
    run_case,
    said,
    still_steps,
    type_into,
    undecodable_text,
    unusable_files,
    whole,
)

FIELDS = {"d_steps": lambda v: whole(v) and 1 <= v <= 50, "gp_weight": lambda v: 0 <= v <= 1000}


def data_of(panel) -> dict:
    return {"target": panel.custom_target, "target name": panel.target_name, "preset": panel.preset,
            "hidden": panel.hidden_width}


@pytest.fixture
def panel(open_panel):
    return open_panel("gan")


@hostile_settings(40)
@given(field=st.sampled_from(sorted(FIELDS)), data=st.data())
def test_number_fields_refuse_what_is_not_a_valid_number(panel, qtbot, field, data):
    text = data.draw(st.one_of(not_a_number(), numbers_outside(FIELDS[field], integers=field == "d_steps")),
                     label="typed")
    edit = panel.train_form.controls[field]
    refuse(qtbot, panel, __name__, f"{field} = {text!r}", lambda: type_into(edit, text), extra=data_of)


def few_numbers() -> st.SearchStrategy[FileCase]:
    """A column with fewer than two usable numbers, or all of them equal: nothing to learn."""
    value = st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:.6g}")
    return st.one_of(
        st.tuples(value, st.lists(st.sampled_from(["", "n/a", "nan", "inf", "x"]), max_size=20)).map(
            lambda vt: FileCase("one number", "\n".join(["value", vt[0], *vt[1]]).encode())),
        st.tuples(value, st.integers(2, 100)).map(
            lambda vn: FileCase("all numbers equal", "\n".join([vn[0]] * vn[1]).encode())),
    )


@hostile_settings(40)
@given(case=st.one_of(unusable_files(), undecodable_text(), few_numbers(), broken_tables(1, blank_lines=False)))
def test_a_csv_column_that_cannot_be_used_is_refused_or_its_bad_rows_named(panel, qtbot, tmp_path_factory, case):
    """Rows without a number are skipped and named in the message; without two different numbers, nothing loads."""
    path = case.write(tmp_path_factory.mktemp("csv"))
    loaded = []
    guard = run_case(qtbot, panel, __name__, f"CSV {case.kind}", lambda: loaded.append(panel.load_csv(str(path))),
                     extra=data_of)
    assert said(panel), f"CSV {case.kind}: nothing says what was wrong"
    if loaded[0]:
        assert case.kind.startswith("table"), f"CSV {case.kind} was loaded"
        assert panel.message_bar.level == "warning" and "line" in said(panel), said(panel)
        count_used()
    else:
        guard.assert_intact(f"CSV {case.kind}")
    assert not (path.parent / "PWNED").exists()
    still_steps(qtbot, panel)
