"""Desktop entry point: :func:`run` opens the window for ``mcscope`` (launch + capture), ``open``, ``attach``, ``--demo``
(the command line is mcscope.commands.gui).

No display -> a one-line error pointing at the headless commands (exit 2) before Qt is touched.
Every uncaught exception is logged and shown in a dialog; it never takes the window down.

Start-up time: this module is imported by every ``mcscope`` command, so Qt and the window's modules (Qt
widgets, numpy, the timeline) are imported inside the functions that need them, once a display is known.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from mcscope.core.verdict import EXIT_OK, EXIT_USAGE

log = logging.getLogger(__name__)

SCREENSHOT_TIMEOUT_MS = 120_000
DEMO_SCREENSHOT_DELAY_MS = 9000
LIVE_SCREENSHOT_DELAY_MS = 1500


def display_problem(env: dict[str, str] | None = None, platform: str | None = None) -> str | None:
    """A one-line explanation when no window can be shown, else None."""
    env = dict(os.environ if env is None else env)
    platform = platform or sys.platform
    if env.get("QT_QPA_PLATFORM"):
        return None
    if not platform.startswith("linux") and not platform.startswith("freebsd"):
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return (
        "mcscope: no display (DISPLAY and WAYLAND_DISPLAY are unset), so the window cannot open; "
        "use 'mcscope proxy' to capture or 'mcscope check FILE' to analyse a capture headless"
    )


# ---------------------------------------------------------------------------------------------- hooks
def install_excepthook(show: Callable[[str, str], None]) -> None:
    """Log every uncaught exception and show it instead of crashing."""

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("uncaught exception:\n%s", text)
        try:
            show(f"{exc_type.__name__}: {exc}", text)
        except Exception:
            # Boundary: the last resort for errors. If showing one fails too, Python's own hook prints it.
            sys.__excepthook__(exc_type, exc, tb)

    sys.excepthook = hook


def _dialog(summary: str, text: str) -> None:
    from PySide6.QtWidgets import QApplication, QMessageBox

    if QApplication.instance() is None:
        print(text, file=sys.stderr)
        return
    box = QMessageBox(QMessageBox.Icon.Critical, "mcscope: unexpected error",
                      f"Something went wrong, but the window keeps running.\n\n{summary}")
    box.setDetailedText(text)
    box.exec()


def quit_on_signals(app: Any) -> None:
    """SIGTERM and SIGINT (kill, Ctrl+C in the terminal) end the event loop instead of the process, so the window
    shuts down as when closed: settings saved, the proxy child stopped (not left running on its port)."""
    import signal

    from PySide6.QtCore import QTimer

    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            signal.signal(sig, lambda _sig, _frame: app.quit())
        except (ValueError, OSError):  # not the main thread, or a platform without it
            return
    # Python runs signal handlers between bytecodes; inside Qt's loop that needs a periodic wake-up
    tick = QTimer(app)
    tick.timeout.connect(lambda: None)
    tick.start(200)


def make_app(argv: Sequence[str] = ()) -> Any:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["mcscope", *argv])
    app.setApplicationName("mcscope")
    app.setOrganizationName("mcscope")
    return app


# ---------------------------------------------------------------------------------------------- run
def not_captures(files: Sequence[str]) -> list[tuple[str, str]]:
    """(path, why) of the files that are no capture the readers know (missing, a directory, another format).

    The window skips them and loads the others (gui/dataset.py load_files); ``mcscope open`` names them."""
    from mcscope.io.capture import CaptureError, detect_format

    out = []
    for path in files:
        try:
            detect_format(path)
        except CaptureError as exc:
            out.append((path, exc.message))
    return out


def run(mode: str, files: Sequence[str] = (), port: int | None = None, host: str | None = None,
        demo: bool = False, screenshot: str | None = None, attach: dict[str, Any] | None = None,
        capture: bool = True) -> int:
    """Create the app and window in ``mode`` ("launch", "open", "attach") and run the event loop."""
    if screenshot and not os.environ.get("QT_QPA_PLATFORM") and display_problem() is not None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_USAGE
    skipped = not_captures(files)
    for path, why in skipped:
        print(f"mcscope: skipped {why}" if why.startswith(path) else f"mcscope: skipped {path}: {why}",
              file=sys.stderr)
    if files and len(skipped) == len(files):  # nothing to show: say so here rather than in an empty window
        return EXIT_USAGE
    app = make_app()
    install_excepthook(_dialog)
    quit_on_signals(app)
    from mcscope.gui.window import MainWindow  # start-up time: see the module docstring

    settings = None
    if screenshot:  # reproducible pictures: never the user's saved layout
        import tempfile

        from PySide6.QtCore import QSettings

        shot_ini = os.path.join(tempfile.mkdtemp(prefix="mcscope-shot-"), "settings.ini")
        settings = QSettings(shot_ini, QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    if port is not None:
        win.proxy.config.port = port
    if host:
        win.proxy.config.host = host
    if screenshot:
        win.resize(1400, 900)
    win.show()
    result = {"code": EXIT_OK}
    if mode == "open":
        if screenshot:
            win.message = lambda parent, title, text: print(f"mcscope: {title}: {text}", file=sys.stderr)
            win.loaded.connect(lambda ok: _screenshot_and_quit(app, win, screenshot, result))
            from PySide6.QtCore import QTimer

            QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, lambda: _give_up(app, result))
        win.open_files(list(files))
    elif mode == "attach" and attach is not None:
        win.attach(str(attach["socket"]), str(attach["token"]))
    elif demo:
        from mcscope.gui.demo import Demo  # start-up time: see the module docstring

        win.demo = Demo(win)
        win.demo.start()
    elif capture:
        win.start_capture()
    if screenshot and mode != "open":
        from PySide6.QtCore import QTimer

        # Live modes have no "loaded" moment: give the demo's players time to fill the window.
        delay = DEMO_SCREENSHOT_DELAY_MS if demo else LIVE_SCREENSHOT_DELAY_MS
        QTimer.singleShot(delay, lambda: _screenshot_and_quit(app, win, screenshot, result))
    app.exec()
    win.shutdown()
    return int(result["code"])


def _screenshot_and_quit(app: Any, win: Any, path: str, result: dict[str, int]) -> None:
    from PySide6.QtCore import QTimer

    def shoot() -> None:
        try:
            app.processEvents()
            pix = win.grab()
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            if not pix.save(path, "PNG"):
                print(f"mcscope: cannot write {path}", file=sys.stderr)
                result["code"] = EXIT_USAGE
        finally:
            app.quit()

    QTimer.singleShot(300, shoot)  # let the timeline's coalesced repaint run first


def _give_up(app: Any, result: dict[str, int]) -> None:
    print("mcscope: timed out waiting for the capture to load", file=sys.stderr)
    result["code"] = EXIT_USAGE
    app.quit()
