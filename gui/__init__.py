"""The PySide6 desktop window (``mcscope.gui``, installed from gui/)."""
