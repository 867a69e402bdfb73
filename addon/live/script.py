"""mcscope addon script: ``mitmdump -s "$(mcscope addon-path)"`` (also ``mitmproxy -s`` / ``mitmweb -s``).

Kept tiny on purpose: mitmproxy watches and reloads only this file; the addon itself lives in
:mod:`mcscope.live.addon`.
"""

from mcscope.live.addon import make_addons

addons = make_addons()
