"""The verdict's vocabulary shared by every front door: exit codes and the ``--fail-on`` levels."""

from __future__ import annotations

from typing import Final

#: No finding at or above the ``--fail-on`` level (or, for ``simulate``, every answer as expected).
EXIT_OK: Final = 0
#: Findings at or above the ``--fail-on`` level (``simulate``: an answer Adobe's collector would not give).
EXIT_FINDINGS: Final = 1
#: Usage or input error: bad option, unreadable or truncated capture, no display.
EXIT_USAGE: Final = 2

#: ``--fail-on`` / ``mcscope_fail_on``: the lowest severity that makes the exit code 1, or never.
FAIL_LEVELS: Final = ("error", "warning", "info", "never")
