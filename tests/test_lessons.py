"""Lesson files: every shipped lesson is valid, and every kind of mistake is reported at its line and field."""
from __future__ import annotations

import textwrap

import pytest

from playground import panels as registry
from playground.lessons import LessonError, load_lesson, parse_lesson, rehearse, shipped_lessons
from playground.lessons.format import describe, line_of
from playground.theme import get_theme

GOOD = """\
title = "A small lesson"
panel = "gan"
description = "For the tests."

[[steps]]
caption = "First."
preset = "Mode collapse"
point = "densities"

[[steps]]
caption = "Second."
run_to = 20

[[steps]]
caption = "Third."
seed = 4
run = 5
point = ["densities", "losses"]

[steps.params]
lr_g = 0.002
loss = "wgan_gp"
"""


def lesson_text(replace: dict[str, str]) -> str:
    text = GOOD
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def parse(text: str):
    return parse_lesson(textwrap.dedent(text), file="test.toml")


@pytest.fixture(scope="module")
def spares(qapp):
    """One spare panel of each kind and its fresh settings (building one costs up to a second)."""
    built: dict[str, tuple] = {}

    def get(name: str):
        if name not in built:
            panel = registry.find(name).load()(get_theme("light"))
            built[name] = (panel, panel.state())
        return built[name]

    yield get
    for panel, _ in built.values():
        panel.deleteLater()


def rehearse_text(text: str, spares):
    lesson = parse(text)
    panel, fresh = spares(lesson.panel)
    return lesson, rehearse(lesson, panel, start=fresh)


# --- the shipped lessons -------------------------------------------------------------------------------------------

def test_every_panel_ships_two_to_four_lessons():
    lessons = shipped_lessons()
    for name in ("sampling", "gmm", "gan", "vae", "diffusion", "markov"):   # a newer panel may have none yet
        count = sum(lesson.panel == name for lesson in lessons)
        assert 2 <= count <= 4, f"{name} has {count} lessons"
    assert all(sum(lesson.panel == entry.name for lesson in lessons) <= 4 for entry in registry.PANELS)
    assert len({lesson.title for lesson in lessons}) == len(lessons)


@pytest.mark.parametrize("lesson", shipped_lessons(), ids=lambda lesson: lesson.file)
def test_every_shipped_lesson_checks_against_its_panel(lesson, spares):
    panel, fresh = spares(lesson.panel)
    resolved = rehearse(lesson, panel, start=fresh)
    assert len(resolved) == len(lesson.steps)
    assert lesson.steps[0].sets_something, "a lesson starts by choosing what it shows (seed, preset or params)"
    for step, state in zip(lesson.steps, resolved):
        if step.seed is not None:
            assert state["seed"] == step.seed
        for key, value in step.params.items():
            assert str(state[key]) == str(value) or state[key] == pytest.approx(value)


def test_a_good_lesson_reads_into_steps():
    lesson = parse(GOOD)
    assert (lesson.title, lesson.panel, len(lesson.steps)) == ("A small lesson", "gan", 3)
    first, second, third = lesson.steps
    assert first.preset == "Mode collapse" and first.point == ("densities",) and first.sets_something
    assert not second.sets_something and second.run_to == 20
    assert third.seed == 4 and third.params == {"lr_g": 0.002, "loss": "wgan_gp"}
    assert third.point == ("densities", "losses")
    # A step that sets something starts the model again from 0; one that does not carries on.
    assert lesson.model_steps == (0, 20, 5)
    assert [lesson.restart_of(i) for i in range(3)] == [0, 0, 2]
    assert [lesson.model_steps_to_run(i) for i in range(3)] == [0, 20, 5]


def test_rehearsal_gives_each_step_its_full_settings(spares):
    lesson, resolved = rehearse_text(GOOD, spares)
    assert resolved[0]["preset"] == "Mode collapse" and resolved[0]["seed"] == 2   # the scene's own seed
    assert resolved[1] == resolved[0]
    assert resolved[2]["seed"] == 4 and resolved[2]["lr_g"] == 0.002 and resolved[2]["loss"] == "wgan_gp"
    assert resolved[2]["target"] == "bimodal"   # carried over from the scene


def test_a_lesson_is_independent_of_what_the_panel_showed_before(spares):
    panel, fresh = spares("gan")
    panel.restore_state({**fresh, "target": "trimodal", "lr_d": 0.02})   # a student's own settings
    _, resolved = rehearse_text(GOOD, spares)
    assert resolved[0]["target"] == "bimodal" and resolved[0]["lr_d"] == fresh["lr_d"]


# --- mistakes, each at its line and field -------------------------------------------------------------------------

STRUCTURE_ERRORS = [
    # (what the file says, line, where, words of the reason)
    ('title = "x"\npanel = "gan"\n[[steps]\ncaption = "a"\n', 3, "", "not valid TOML"),
    ('panel = "gan"\n[[steps]]\ncaption = "a"\n', None, "", "'title' is missing"),
    ('title = "x"\npanel = "gann"\n[[steps]]\ncaption = "a"\n', 2, "'panel'", "did you mean 'gan'"),
    ('title = "x"\npanel = "gan"\ndescripton = "d"\n[[steps]]\ncaption = "a"\n', 3, "'descripton'",
     "did you mean 'description'"),
    ('title = "x"\npanel = "gan"\n', None, "", "needs steps"),
    ('title = "x"\npanel = "gan"\nversion = 2\n[[steps]]\ncaption = "a"\n', 3, "'version'", "version 2"),
    ('title = "x"\npanel = "gan"\n[[steps]]\ncaption = "a"\n\n[[steps]]\nrun = 3\n', 6, "step 2",
     "'caption' is missing"),
    ('title = "x"\npanel = "gan"\n[[steps]]\ncaptoin = "a"\n', 4, "step 1 'captoin'", "did you mean 'caption'"),
    ('title = "x"\npanel = "gan"\n[[steps]]\ncaption = "' + "long " * 60 + '"\n', 4, "step 1 'caption'",
     "keep it under"),
    ('title = "x"\npanel = "gan"\n[[steps]]\ncaption = "a"\nseed = -1\n', 5, "step 1 'seed'", "whole number"),
    ('title = "x"\npanel = "gan"\n[[steps]]\ncaption = "a"\nseed = "3"\n', 5, "step 1 'seed'", "whole number"),
    ('title = "x"\npanel = "gan"\n[[steps]]\ncaption = "a"\nrun = 5\nrun_to = 9\n', 6, "step 1 'run_to'",
     "not both"),
    ('title = "x"\npanel = "gan"\n[[steps]]\ncaption = "a"\nrun = 0\n', 5, "step 1 'run'", "from 1"),
    ('title = "x"\npanel = "gan"\n[[steps]]\ncaption = "a"\nrun_to = 50\n[[steps]]\ncaption = "b"\nrun_to = 10\n',
     8, "step 2 'run_to'", "already at step 50"),
    ('title = "x"\npanel = "gan"\n[[steps]]\ncaption = "a"\nrun = 2000000\n', 5, "step 1 'run'", "1,000,000"),
    ('title = "x"\npanel = "gan"\n[[steps]]\ncaption = "a"\nplay = "yes"\n', 5, "step 1 'play'", "true or false"),
    ('title = "x"\npanel = "gan"\n[[steps]]\ncaption = "a"\npoint = 3\n', 5, "step 1 'point'", "a name in quotes"),
    ('title = "x"\npanel = "gan"\n[[steps]]\ncaption = "a"\nparams = 3\n', 5, "step 1 'params'", "table"),
    ('title = "x"\npanel = "gan"\n[[steps]]\ncaption = "a"\n[steps.params]\nseed = 3\n', 6, "step 1 'params.seed'",
     "in the step itself"),
    ('title = "x"\npanel = "gan"\nsteps = 3\n', 3, "'steps'", "[[steps]]"),
]


@pytest.mark.parametrize("text, line, where, reason", STRUCTURE_ERRORS)
def test_a_malformed_lesson_names_the_line_and_the_field(text, line, where, reason):
    with pytest.raises(LessonError) as caught:
        parse(text)
    error = caught.value
    assert (error.file, error.line, error.where) == ("test.toml", line, where), str(error)
    assert reason in error.reason, str(error)
    assert str(error).startswith("test.toml")


def test_the_message_reads_file_line_step_field_reason(spares):
    text = lesson_text({"lr_g = 0.002": "lr_g = \"fast\""})
    with pytest.raises(LessonError) as caught:
        rehearse_text(text, spares)
    assert str(caught.value) == "test.toml, line 21, step 3 'params.lr_g': must be a number (like 0.001), not 'fast'"


PANEL_ERRORS = [
    # (replacement in GOOD, line, where, words of the reason)
    ({'point = "densities"': 'point = "densitys"'}, 8, "step 1 'point'", "did you mean 'densities'"),
    ({'point = ["densities", "losses"]': 'point = ["densities", "nowhere"]'}, 18, "step 3 'point'", "nothing called"),
    ({'run_to = 20': 'run_to = 20\nclick = "densities"'}, 13, "step 2 'click'", "not a button"),
    ({'lr_g = 0.002': 'lrr = 0.002'}, 21, "step 3 'params.lrr'", "did you mean 'lr_g'"),
    ({'lr_g = 0.002': 'lr_g = -1'}, 21, "step 3 'params.lr_g'", ""),   # the model's own words
    ({'loss = "wgan_gp"': 'loss = "hinge"'}, 22, "step 3 'params.loss'", "hinge"),
    ({'preset = "Mode collapse"': 'preset = "Mode colapse"'}, 7, "step 1 'preset'", "no scene called"),
    ({'preset = "Mode collapse"': 'preset = "Oscillation"'}, 7, "step 1 'preset'", "sets betas"),
    ({'seed = 4': 'seed = 4\nparams = { hidden = 33 }', '[steps.params]\nlr_g = 0.002\nloss = "wgan_gp"\n': ''},
     17, "step 3 'params.hidden'", "not one of the choices"),
]


@pytest.mark.parametrize("replace, line, where, reason", PANEL_ERRORS)
def test_a_lesson_that_does_not_fit_its_panel_is_refused_at_the_field(replace, line, where, reason, spares):
    with pytest.raises(LessonError) as caught:
        rehearse_text(lesson_text(replace), spares)
    error = caught.value
    assert (error.line, error.where) == (line, where), str(error)
    assert reason in error.reason, str(error)


def test_a_value_the_panel_refuses_in_another_panel(spares):
    text = ('title = "x"\npanel = "sampling"\n[[steps]]\ncaption = "a"\npreset = "Marble bag"\n'
            'params = { batch = 7 }\n')
    with pytest.raises(LessonError, match=r"line 6, step 1 'params.batch': 7 samples per step"):
        rehearse_text(text, spares)


def test_numbers_and_choices_are_accepted_in_the_kind_the_lecturer_writes(spares):
    """gp_weight = 10 means 10.0; a hidden width the panel keeps as the text "64" may be written 64."""
    _, resolved = rehearse_text(lesson_text({"lr_g = 0.002": "gp_weight = 10"}), spares)
    assert resolved[2]["gp_weight"] == 10.0 and isinstance(resolved[2]["gp_weight"], float)
    text = 'title = "x"\npanel = "diffusion"\n[[steps]]\ncaption = "a"\nparams = { hidden = 64, T = 50 }\n'
    _, resolved = rehearse_text(text, spares)
    assert resolved[0]["hidden"] == "64" and resolved[0]["T"] == 50


# --- finding lines -------------------------------------------------------------------------------------------------

def test_lines_are_found_in_every_way_toml_can_write_a_key():
    text = textwrap.dedent('''\
        title = "x"
        panel = "gan"

        [[steps]]
        caption = """A caption that mentions
        seed = 3 inside the text"""
        seed = 1
        params.lr_g = 0.1

        [[steps]]
        caption = 'b'
        params = { loss = "minimax", "lr_d" = 0.1 }

        [[steps]]
        caption = "c"
        [steps.params]
        d_steps = 3
        ''')
    assert line_of(text, ("panel",)) == 2
    assert line_of(text, ("steps", 1, "seed")) == 7               # not the line inside the caption
    assert line_of(text, ("steps", 1, "params", "lr_g")) == 8     # a dotted key
    assert line_of(text, ("steps", 2, "params", "lr_d")) == 12    # an inline table
    assert line_of(text, ("steps", 3, "params", "d_steps")) == 17  # a sub-table
    assert line_of(text, ("steps", 3, "point")) == 14             # absent: the step's own line
    assert describe(("steps", 3, "params", "lr")) == "step 3 'params.lr'"
    assert describe(("title",)) == "'title'"


def test_a_file_that_cannot_be_read_says_so(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(LessonError, match="nope.toml: the file could not be read"):
        load_lesson(missing)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"title = \"\xff\xfe\"\n")
    with pytest.raises(LessonError, match="binary.toml: the file is not UTF-8"):
        load_lesson(binary)


def test_the_readme_example_is_a_complete_valid_lesson(spares):
    from pathlib import Path
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Guided lessons"):]
    example = section[section.index("```toml") + len("```toml"):section.index("```", section.index("```toml") + 7)]
    lesson, resolved = rehearse_text(example, spares)
    assert lesson.panel == "gan" and len(resolved) == 4
    assert resolved[2]["loss"] == "wgan_gp" and lesson.model_steps == (0, 2000, 2000, 2000)
    assert lesson.steps[3].play and lesson.steps[3].click == ("step-g",)
