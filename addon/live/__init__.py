"""The live layer: the mitmproxy addon, its journal writer, analysis process and viewer stream."""

from pathlib import Path

#: The script mitmproxy loads with ``-s`` (``mcscope addon-path`` prints it).
ADDON_SCRIPT = Path(__file__).resolve().with_name("script.py")
