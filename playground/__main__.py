"""Command line: ``playground [--panel NAME] [--seed N] [--steps K] [--theme T] [--presentation] [--size WxH]
[--screenshot FILE.png] [--session FILE.json] [--soak SECONDS] [--list-panels]``."""
from __future__ import annotations

import argparse
import gc
import os
import sys

# Before numpy is imported anywhere: the models multiply small matrices, and on a 2-core laptop BLAS's own thread pool
# would fight the worker and the UI thread for the cores (measured several times slower, and a stuttering UI).
for _blas in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_blas, "1")

# numpy before Qt: PySide6 inspects the source of every module imported after it (looking for its __feature__
# switches), and numpy's hundred-odd modules need none of that. Start-up to first paint, median of 6: 0.60 → 0.52 s.
import numpy  # noqa: E402, F401

from playground import panels as registry
from playground.theme import THEMES


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1280x720, not {text!r}") from None
    if not (200 <= width <= 10000 and 200 <= height <= 10000):
        raise argparse.ArgumentTypeError(f"size {width}x{height} is out of range (200…10000 each way)")
    return width, height


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="playground", description="Live demos of generative models.")
    names = [entry.name for entry in registry.PANELS]
    parser.add_argument("--panel", choices=names, help="panel to open")
    parser.add_argument("--seed", type=int, help="random seed for that panel")
    parser.add_argument("--steps", type=int, default=0, help="run this many steps, then stop (and screenshot)")
    parser.add_argument("--theme", choices=list(THEMES), help="colour theme")
    parser.add_argument("--presentation", action="store_true", help="large fonts, lines and markers")
    parser.add_argument("--size", type=parse_size, help="window size, e.g. 1280x720")
    parser.add_argument("--screenshot", metavar="FILE.png", help="write a screenshot of the window and exit")
    parser.add_argument("--list-panels", action="store_true", help="list the panels and exit")
    parser.add_argument("--soak", metavar="SECONDS", type=float,
                        help="play every panel at full speed for this long, switching panels, then report memory, "
                             "object counts, speed and warnings (see playground/soak.py)")
    parser.add_argument("--session", metavar="FILE.json", help="open a saved session (File → Save session…)")
    parser.add_argument("--lesson", metavar="FILE.toml", help="start a guided lesson (Lessons → Open lesson…)")
    parser.add_argument("--lesson-step", metavar="N", type=int, default=1,
                        help="the lesson step to show (a screenshot waits until it has run)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.list_panels:
        for entry in registry.PANELS:
            print(f"{entry.name:12s} {entry.title}")
        return 0
    if args.steps < 0:
        print("playground: --steps must be ≥ 0", file=sys.stderr)
        return 2
    if args.soak is not None and not 0 < args.soak < 1e6:
        print(f"playground: --soak must be a number of seconds above 0, not {args.soak:g}", file=sys.stderr)
        return 2
    if args.seed is not None and not 0 <= args.seed < 2**31:
        print(f"playground: --seed must be between 0 and {2**31 - 1}, not {args.seed}", file=sys.stderr)
        return 2

    # One binding for pyqtgraph and everything else, chosen before any of them is imported.
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    os.environ.setdefault("QT_API", "pyside6")
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from playground.app import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Generative Playground")
    app.setOrganizationName("GenerativePlayground")
    app.setStyle("Fusion")
    # A scripted run (screenshot, soak) must behave the same everywhere: it neither reads nor writes the user's settings.
    settings = None if args.screenshot or args.soak else QSettings()
    window = MainWindow(settings=settings, theme=args.theme, presentation=args.presentation or None,
                        panel=args.panel)
    if args.size:
        window.resize(*args.size)
    app.aboutToQuit.connect(window.shutdown)
    window.show()
    replayed = 0
    if args.session:
        from playground.session import SessionError
        from playground.session_window import open_session, replay_target
        try:
            open_session(window, args.session, show=args.panel, theme=args.theme,
                         presentation=args.presentation or None)
        except SessionError as exc:
            print(f"playground: {exc}", file=sys.stderr)
            window.close()
            return 2
        replayed = replay_target(window.current) if args.seed is None else 0  # --seed starts again from 0
    if args.lesson:
        from playground.lessons.window import open_lesson_file
        if not open_lesson_file(window, args.lesson, args.lesson_step,
                                refuse=lambda exc: print(f"playground: {exc}", file=sys.stderr)):
            window.close()
            return 2
    panel = window.current
    assert panel is not None
    if args.seed is not None:
        panel.reset(args.seed)
        window.transport.set_seed(args.seed)
    if args.steps:
        panel.step(args.steps)

    if args.screenshot:
        target = replayed + args.steps

        def maybe_finish(snapshot) -> None:
            if snapshot.step < target or (window.lesson is not None and not window.lesson.settled()):
                return
            panel.rendered.disconnect(maybe_finish)
            # One more turn of the event loop so layouts settle before the grab.
            QTimer.singleShot(100, finish)

        def finish() -> None:
            ok = window.grab().save(args.screenshot)
            if not ok:
                print(f"playground: could not write {args.screenshot}", file=sys.stderr)
            window.close()
            app.exit(0 if ok else 1)

        def too_slow() -> None:
            print(f"playground: no snapshot at step {target} after 120 s", file=sys.stderr)
            window.close()
            app.exit(1)

        panel.rendered.connect(maybe_finish)
        QTimer.singleShot(120_000, too_slow)
    if args.soak:
        from playground.soak import start_soak
        start_soak(window, args.soak)
    code = app.exec()
    # The window is closed, the workers stopped and the settings written: what is left is the interpreter's teardown,
    # whose garbage collections walk every object of Qt, pyqtgraph, numpy and scipy (~130 000) several times — 0.9 s
    # of a 1.3 s exit, measured with perf. Frozen objects are left out of those walks (and the process ends anyway).
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(main())
