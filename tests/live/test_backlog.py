"""The retained records and the snapshot message spliced from them."""

from __future__ import annotations

import json

from mcscope.live.backlog import Backlog


def test_snapshot_and_dropped() -> None:
    b = Backlog(2)
    for i in range(3):
        b.append(json.dumps({"i": i}).encode())
    assert len(b) == 2 and b.dropped == 1
    assert json.loads(b.snapshot()) == {"type": "snapshot", "records": [{"i": 1}, {"i": 2}], "dropped": 1}
    b.resize(5)
    b.append(b'{"i":3}')
    assert [json.loads(x)["i"] for x in b] == [1, 2, 3] and b.dropped == 1


def test_zero_keeps_nothing() -> None:
    b = Backlog(0)
    b.append(b"{}")
    assert len(b) == 0 and json.loads(b.snapshot())["records"] == []
