"""Lesson files: TOML that a lecturer writes by hand, read and checked here (no Qt).

A lesson is a title, the panel it runs on, a description and an ordered list of steps::

    title = "Mode collapse and its fix"
    panel = "gan"
    description = "Why a GAN can learn only one of two bumps, and how a change of loss fixes it."

    [[steps]]
    caption = "A generator must learn data with two bumps."
    preset = "Mode collapse"      # choose a preset as the panel's own box does (its seed comes with it)
    point = "densities"           # a thick frame around one of the panel's named targets (or a list of them)

    [[steps]]
    caption = "After 2,000 steps nearly all samples sit in one bump."
    run_to = 2000                 # train until the model has taken 2,000 steps (or: run = 500 more)

    [[steps]]
    caption = "Same seed, one change: the Wasserstein loss."
    params = { loss = "wgan_gp" } # keys of the panel's settings; seed = N sets the seed
    run_to = 2000
    play = true                   # leave it running (default: paused)

A step that sets anything (preset, seed, params) restarts the model from its seed with those settings; a step that
sets nothing carries on from the step before. So every step is reached the same way every time — which is how the
player goes Back: it restores the step's settings and replays the steps, never "undoes".

Checking happens in two stages: :func:`parse_lesson` checks the file on its own (fields, types, the panel's name);
:func:`rehearse` checks it against the panel — target names, setting names, and every step's settings restored on a
spare panel that is never shown — and returns the full settings of each step. Every error names the file, the line
and the field.
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground import panels as registry

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the rest of the app works, lessons say what they need
    tomllib = None

#: The version of the format this app reads; a file may say ``version = 1``.
FORMAT_VERSION = 1
#: Beyond this a caption cannot be read from the back of a lecture hall at the size it is shown.
MAX_CAPTION = 240
MAX_STEPS = 60
#: A typo guard: a lesson that asks for more model steps than this would keep the class waiting.
MAX_MODEL_STEPS = 1_000_000
MAX_POINTS = 3
MAX_SEED = 2**31 - 1  # what the transport bar's seed box can show

LESSON_FIELDS = ("version", "title", "panel", "description", "steps")
STEP_FIELDS = ("caption", "preset", "seed", "params", "run", "run_to", "click", "play", "point")

Path_ = tuple[Any, ...]  # where in the file: ("panel",) or ("steps", 3, "params", "lr")


class LessonError(ValueError):
    """A lesson file that cannot be used: ``file, line N, step S 'field': reason``."""

    def __init__(self, file: str, line: int | None, where: str, reason: str) -> None:
        self.file, self.line, self.where, self.reason = file, line, where, reason
        place = ", ".join(part for part in (file, f"line {line}" if line else "", where) if part)
        super().__init__(f"{place}: {reason}")


@dataclass(frozen=True)
class LessonStep:
    number: int                     # 1-based, as the lecturer counts
    caption: str
    preset: str | None = None
    seed: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    run: int | None = None          # this many more model steps …
    run_to: int | None = None       # … or until the model has taken this many
    click: tuple[str, ...] = ()     # buttons to press, in order, after running
    play: bool = False
    point: tuple[str, ...] = ()

    @property
    def sets_something(self) -> bool:
        """Does this step change settings (and so restart the model from its seed)?"""
        return self.preset is not None or self.seed is not None or bool(self.params)


@dataclass(frozen=True)
class Lesson:
    title: str
    panel: str
    description: str
    steps: tuple[LessonStep, ...]
    #: The model step each lesson step ends on (not counting time spent playing).
    model_steps: tuple[int, ...]
    file: str = "<lesson>"          # the name used in messages
    path: Path | None = None
    source: str = ""                # the text, to find the line of a field

    def restart_of(self, index: int) -> int:
        """Index of the step whose settings step ``index`` (0-based) runs on: the model restarted there."""
        while index > 0 and not self.steps[index].sets_something:
            index -= 1
        return index

    def model_steps_to_run(self, index: int) -> int:
        """How many model steps step ``index`` takes (from 0 if it restarts the model)."""
        before = 0 if index == self.restart_of(index) else self.model_steps[index - 1]
        return self.model_steps[index] - before

    def error(self, where: Path_, reason: str) -> LessonError:
        return LessonError(self.file, line_of(self.source, where), describe(where), reason)


# --- reading a file -----------------------------------------------------------------------------------------------

def load_lesson(path: str | Path) -> Lesson:
    """Read and check a lesson file on its own (see :func:`rehearse` for the checks against its panel)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise LessonError(path.name, None, "", "the file is not UTF-8 text") from None
    except OSError as exc:
        raise LessonError(path.name, None, "", f"the file could not be read ({exc.strerror or exc})") from None
    return parse_lesson(text, file=path.name, path=path)


def parse_lesson(text: str, *, file: str = "<lesson>", path: Path | None = None) -> Lesson:
    if tomllib is None:
        raise LessonError(file, None, "", "reading lessons needs Python 3.11 or newer")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(found.group(1)) if found else None
        reason = message[:found.start()].strip() if found else message
        raise LessonError(file, line, "", f"this is not valid TOML: {reason}") from None
    checker = _Checker(text, file)
    return checker.lesson(data, path)


class _Checker:
    """Walks the parsed TOML and raises the first problem with its line and field."""

    def __init__(self, source: str, file: str) -> None:
        self.source, self.file = source, file

    def fail(self, where: Path_, reason: str) -> LessonError:
        return LessonError(self.file, line_of(self.source, where), describe(where), reason)

    def lesson(self, data: dict[str, Any], path: Path | None) -> Lesson:
        self.unknown_fields(data, LESSON_FIELDS, ())
        version = data.get("version", FORMAT_VERSION)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise self.fail(("version",), f"must be a whole number ≥ 1 (this app reads version {FORMAT_VERSION})")
        if version > FORMAT_VERSION:
            raise self.fail(("version",), f"the lesson was written for version {version} of the format; this app "
                                          f"reads version {FORMAT_VERSION} — update the app")
        title = self.text(data, ("title",), required=True, limit=100)
        panel = self.text(data, ("panel",), required=True)
        names = [entry.name for entry in registry.PANELS]
        if panel not in names:
            raise self.fail(("panel",), f"there is no panel called {panel!r}{did_you_mean(panel, names)}; "
                                        f"the panels are: {', '.join(names)}")
        description = self.text(data, ("description",), required=False, limit=1000) or ""
        if "steps" not in data:
            raise self.fail((), "a lesson needs steps: add a [[steps]] table with a caption")
        raw_steps = data["steps"]
        if not isinstance(raw_steps, list) or not all(isinstance(s, dict) for s in raw_steps):
            raise self.fail(("steps",), "must be a list of tables: write each step as [[steps]]")
        if not 1 <= len(raw_steps) <= MAX_STEPS:
            raise self.fail(("steps",), f"a lesson has 1 to {MAX_STEPS} steps, not {len(raw_steps)}")
        steps = tuple(self.step(raw, number) for number, raw in enumerate(raw_steps, start=1))
        return Lesson(title, panel, description, steps, self.model_steps(steps), file=self.file, path=path,
                      source=self.source)

    def step(self, raw: dict[str, Any], number: int) -> LessonStep:
        at = ("steps", number)
        self.unknown_fields(raw, STEP_FIELDS, at)
        caption = self.text(raw, (*at, "caption"), required=True, limit=MAX_CAPTION)
        preset = self.text(raw, (*at, "preset"), required=False)
        seed = raw.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED):
            raise self.fail((*at, "seed"), f"must be a whole number from 0 to {MAX_SEED}, not {seed!r}")
        params = raw.get("params", {})
        if not isinstance(params, dict):
            raise self.fail((*at, "params"), "must be a table of settings, e.g. params = { lr = 0.001 }")
        for key, value in params.items():
            if key in ("seed", "preset"):
                raise self.fail((*at, "params", key), f"write {key} = … in the step itself, not under params")
            if isinstance(value, float) and not math.isfinite(value):
                raise self.fail((*at, "params", key), f"must be a finite number, not {value}")
        run, run_to = raw.get("run"), raw.get("run_to")
        if run is not None and run_to is not None:
            raise self.fail((*at, "run_to"), "give run (this many more steps) or run_to (until this step), not both")
        if run is not None and not _whole(run, 1):
            raise self.fail((*at, "run"), f"must be a whole number of steps from 1 to {MAX_MODEL_STEPS:,}, "
                                          f"not {run!r}")
        if run_to is not None and not _whole(run_to, 0):
            raise self.fail((*at, "run_to"), f"must be a step number from 0 to {MAX_MODEL_STEPS:,}, not {run_to!r}")
        play = raw.get("play", False)
        if not isinstance(play, bool):
            raise self.fail((*at, "play"), f"must be true or false, not {play!r}")
        click = self.names(raw, (*at, "click"), limit=MAX_POINTS)
        point = self.names(raw, (*at, "point"), limit=MAX_POINTS)
        return LessonStep(number, caption, preset, seed, dict(params), run, run_to, click, play, point)

    def model_steps(self, steps: tuple[LessonStep, ...]) -> tuple[int, ...]:
        """The model step each lesson step ends on; a step that carries on cannot go backwards."""
        reached: list[int] = []
        for index, step in enumerate(steps):
            start = 0 if index == 0 or step.sets_something else reached[-1]
            end = start
            if step.run is not None:
                end = start + step.run
            elif step.run_to is not None:
                if step.run_to < start:
                    raise self.fail(("steps", step.number, "run_to"),
                                    f"the model is already at step {start:,} after step {step.number - 1}, and a "
                                    "step that changes nothing carries on from there; set a preset, seed or params "
                                    "to start again from 0")
                end = step.run_to
            if end > MAX_MODEL_STEPS:
                raise self.fail(("steps", step.number, "run" if step.run is not None else "run_to"),
                                f"that makes {end:,} model steps; a lesson may ask for at most {MAX_MODEL_STEPS:,}")
            reached.append(end)
        return tuple(reached)

    # --- small checks -------------------------------------------------------------------------------------------
    def unknown_fields(self, table: dict[str, Any], known: tuple[str, ...], at: Path_) -> None:
        for key in table:
            if key not in known:
                raise self.fail((*at, key), f"unknown field{did_you_mean(key, known)}; "
                                            f"{'a step' if at else 'a lesson'} may have: {', '.join(known)}")

    def text(self, table: dict[str, Any], where: Path_, *, required: bool, limit: int = 200) -> str | None:
        key = where[-1]
        if key not in table:
            if required:
                raise self.fail(where[:-1], f"'{key}' is missing")
            return None
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"must be some text in quotes, not {value!r}")
        if len(value) > limit:
            raise self.fail(where, f"is {len(value)} characters long; keep it under {limit} so that it can be read "
                                   "when projected")
        return value.strip()

    def names(self, table: dict[str, Any], where: Path_, *, limit: int) -> tuple[str, ...]:
        value = table.get(where[-1], [])
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(where, "must be a name in quotes, or a list of names: [\"a\", \"b\"]")
        if len(value) > limit:
            raise self.fail(where, f"at most {limit} names, not {len(value)}")
        return tuple(v.strip() for v in value)


def _whole(value: Any, lowest: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and lowest <= value <= MAX_MODEL_STEPS


def did_you_mean(name: str, choices: Any) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --- checking against the panel ----------------------------------------------------------------------------------

def rehearse(lesson: Lesson, panel: Any, start: dict[str, Any] | None = None) -> tuple[dict[str, Any], ...]:
    """Check ``lesson`` against ``panel`` — a spare panel of the lesson's kind that is never shown (its worker never
    starts) — and return the full settings (``state()``) of each step.

    The lesson starts from ``start`` (by default the panel's settings as they are: a freshly built panel's
    defaults), so it plays the same whatever a student had set before. Each step's settings are restored on the
    spare panel exactly as the real one will restore them; a refusal is reported at the field that caused it.
    """
    targets = panel.lesson_targets()
    for step in lesson.steps:
        for kind, names in (("point", step.point), ("click", step.click)):
            for name in names:
                if name not in targets:
                    raise lesson.error(("steps", step.number, kind),
                                       f"the {panel.title} panel has nothing called {name!r}"
                                       f"{did_you_mean(name, targets)}; it has: {', '.join(targets)}")
                if kind == "click" and not hasattr(targets[name], "click"):
                    raise lesson.error(("steps", step.number, kind), f"{name!r} is not a button, so it cannot be "
                                                                     "clicked")
    current = dict(start) if start is not None else panel.state()
    if start is not None:
        panel.restore_state(current)
    resolved: list[dict[str, Any]] = []
    for index, step in enumerate(lesson.steps):
        if index == 0 or step.sets_something:
            current = _restore_step(lesson, step, panel, current)
        resolved.append(current)
    return tuple(resolved)


def _restore_step(lesson: Lesson, step: LessonStep, panel: Any, before: dict[str, Any]) -> dict[str, Any]:
    at = ("steps", step.number)
    parts: list[tuple[Path_, dict[str, Any]]] = []
    if step.preset is not None:
        try:
            parts.append(((*at, "preset"), panel.preset_state(step.preset)))
        except ValueError as exc:
            raise lesson.error((*at, "preset"), str(exc)) from None
    if step.seed is not None:
        parts.append(((*at, "seed"), {"seed": step.seed}))
    for key, value in step.params.items():
        parts.append(((*at, "params", key), {key: _setting(lesson, step, key, value, before, panel.title)}))
    changes = {k: v for _, part in parts for k, v in part.items()}
    try:
        panel.restore_state({**before, **changes})
    except (ValueError, TypeError, KeyError) as exc:
        # Which field was it? Try each alone on the settings before the step; blame the first one refused.
        for where, part in parts:
            try:
                panel.restore_state({**before, **part})
            except (ValueError, TypeError, KeyError) as alone:
                raise lesson.error(where, _reason(alone)) from None
        if len(parts) == 1:
            raise lesson.error(parts[0][0], _reason(exc)) from None
        raise lesson.error(at if not parts else (*at, "params"),
                           f"{_reason(exc)} (with the other settings of this step)") from None
    return panel.state()


def _setting(lesson: Lesson, step: LessonStep, key: str, value: Any, before: dict[str, Any], title: str) -> Any:
    """``value`` checked against the kind of value the panel keeps under ``key`` (a number, text, …)."""
    where = ("steps", step.number, "params", key)
    if key not in before:
        settable = [k for k in before if k not in ("seed", "preset")]
        raise lesson.error(where, f"the {title} panel has no setting {key!r}{did_you_mean(key, settable)}; "
                                  f"its settings are: {', '.join(settable)}")
    now = before[key]
    if now is None or isinstance(now, (dict, list)):
        return value  # no simple kind to compare with: the panel's own check decides
    if isinstance(now, bool):
        if not isinstance(value, bool):
            raise lesson.error(where, f"must be true or false, not {value!r}")
    elif isinstance(now, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise lesson.error(where, f"must be a number (like {now!r}), not {value!r}")
        return float(value) if isinstance(now, float) else value
    elif isinstance(now, str):
        if isinstance(value, int) and not isinstance(value, bool) and now.isdigit():
            return str(value)  # a choice the panel keeps as text, e.g. a hidden width of "64"
        if not isinstance(value, str):
            raise lesson.error(where, f"must be text in quotes (like {now!r}), not {value!r}")
    return value


def _reason(exc: Exception) -> str:
    text = str(exc).strip("'\"") if isinstance(exc, KeyError) else str(exc)
    return text or type(exc).__name__


# --- where is a field? -----------------------------------------------------------------------------------------------

def describe(where: Path_) -> str:
    """("steps", 3, "params", "lr") → "step 3 'params.lr'"."""
    if not where:
        return ""
    if where[0] == "steps" and len(where) >= 2 and isinstance(where[1], int):
        rest = ".".join(str(p) for p in where[2:])
        return f"step {where[1]}" + (f" '{rest}'" if rest else "")
    return "'" + ".".join(str(p) for p in where) + "'"


_STEPS_HEADER = re.compile(r"\s*\[\[\s*steps\s*\]\]")


def line_of(source: str, where: Path_) -> int | None:
    """The line (1-based) where ``where`` is written, found by scanning the text (tomllib keeps no positions).
    Falls back to the step's [[steps]] line, or None when nothing fits."""
    lines = _code_lines(source)
    headers = [i for i, line in enumerate(lines) if _STEPS_HEADER.match(line)]
    if where and where[0] == "steps" and len(where) >= 2 and isinstance(where[1], int):
        number = where[1]
        if not 1 <= number <= len(headers):
            return _find_key(lines, 0, len(lines), ("steps",))
        start = headers[number - 1]
        end = headers[number] if number < len(headers) else len(lines)
        found = _find_key(lines, start + 1, end, where[2:], table="steps")
        return found or start + 1
    end = headers[0] if headers else len(lines)
    if not where:
        return None
    return _find_key(lines, 0, end, where) or (headers[0] + 1 if where[0] == "steps" and headers else None)


def _find_key(lines: list[str], start: int, end: int, keys: Path_, table: str = "") -> int | None:
    if not keys:
        return None
    key = re.escape(str(keys[0]))
    quoted = rf"(?:{key}|\"{key}\"|'{key}')"
    if len(keys) >= 2:
        sub = re.escape(str(keys[1]))
        sub_quoted = rf"(?:{sub}|\"{sub}\"|'{sub}')"
        prefix = rf"{re.escape(table)}\s*\.\s*" if table else ""
        header = re.compile(rf"\s*\[\s*{prefix}{quoted}\s*\]")
        for i in range(start, end):
            if header.match(lines[i]):       # [steps.params] then lr = …
                stop = next((j for j in range(i + 1, end) if lines[j].lstrip().startswith("[")), end)
                for j in range(i + 1, stop):
                    if re.match(rf"\s*{sub_quoted}\s*=", lines[j]):
                        return j + 1
                return i + 1
        for i in range(start, end):          # params.lr = … or params = { lr = … }
            if re.match(rf"\s*{quoted}\s*\.\s*{sub_quoted}\s*=", lines[i]):
                return i + 1
        for i in range(start, end):
            if re.match(rf"\s*{quoted}\s*=", lines[i]):
                return i + 1
        return None
    for i in range(start, end):
        if re.match(rf"\s*{quoted}\s*(=|\.)", lines[i]) or re.match(rf"\s*\[\s*(?:{re.escape(table)}\s*\.\s*)?"
                                                                    rf"{quoted}\s*\]", lines[i]):
            return i + 1
    return None


def _code_lines(source: str) -> list[str]:
    """The file's lines, with those inside multi-line strings blanked (a caption may contain "seed = 3")."""
    out: list[str] = []
    inside: str | None = None
    for line in source.splitlines():
        shown = "" if inside else line
        for quote in ('"""', "'''"):
            count = line.count(quote)
            if inside in (None, quote) and count % 2 == 1:
                inside = None if inside == quote else quote
        out.append(shown)
    return out
