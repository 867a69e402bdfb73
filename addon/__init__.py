"""mcscope: a debugging proxy and validator for Adobe's streaming-media tracking.

Layers, arrows only downwards (checked by the import-linter contract in ``.importlinter``)::

    mcscope.cli, mcscope.commands   the front doors
    mcscope.gui                     the PySide6 window (installed from gui/)
    mcscope.live, mcscope.sim       the mitmproxy addon; scripted players and the mock collector
    mcscope.io                      capture readers, the journal codec, report writers
    mcscope.core                    pure: protocol, rules, session state -- no I/O, mitmproxy or Qt
"""

__version__ = "0.1.0"
