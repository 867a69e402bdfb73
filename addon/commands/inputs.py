"""Capture files given on a command line: is there anything in them to read? (``proxy -r``, ``open``).

The same sniffing and readers as ``mcscope check`` (:mod:`mcscope.io.capture`), with its one-line messages,
so every command calls the same file by the same name: missing, a directory, empty, unknown, broken.
"""

from __future__ import annotations

from pathlib import Path

from mcscope.io.capture import READERS, CaptureError, Format, detect_format
from mcscope.io.common import ReadProgress


def capture_problem(path: str, whole: bool = True, formats: tuple[Format, ...] | None = None) -> str | None:
    """Why ``path`` cannot be read as a capture (check's message, naming the file), or None.

    ``whole``: the file must read to its end (a truncated capture is a problem); otherwise it is enough that
    it yields one exchange or ends cleanly (the window shows what a truncated file holds). ``formats``: the
    formats the caller can use (another one is a problem too).
    """
    try:
        fmt = detect_format(path)
    except CaptureError as exc:
        return exc.message
    if formats is not None and fmt not in formats:
        return f"{Path(path)}: {_NAMES[fmt]}; expected {' or '.join(_NAMES[f] for f in formats)}"
    progress = ReadProgress()
    try:
        with Path(path).open("rb") as fh:
            for _ in READERS[fmt](fh, Path(path), progress):  # unsorted: order does not matter here
                if not whole:
                    return None
    except CaptureError as exc:
        return exc.message
    except OSError as exc:
        return f"{Path(path)}: cannot read ({exc.strerror or exc})"
    return None


_NAMES: dict[Format, str] = {"mitm": "a mitmproxy flow file", "har": "a HAR file", "journal": "an mcscope journal"}
