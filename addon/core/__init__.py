"""The pure core: protocol as data, rules, per-session state and metrics. No I/O, no mitmproxy, no Qt."""
