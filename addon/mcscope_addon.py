"""mcscope addon script: ``mitmdump -s "$(mcscope addon-path)"`` (also ``mitmproxy -s`` / ``mitmweb -s``).

Kept tiny on purpose: mitmproxy watches and reloads only this file; the addon itself lives in
``addon/mitm.py``.
"""

import os
import sys

try:
    import addon.mitm  # noqa: F401
except ImportError:  # running from a source tree that is not installed: make its root importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from addon.mitm import make_addons  # noqa: E402

addons = make_addons()
