"""mcscope/io/capture.py: format sniffing, opening any capture, progress; garbage never crashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcscope.core.model import Exchange
from mcscope.io.capture import CaptureError, detect_format, open_capture, read_exchanges, sniff_format
from tests.io.captures import FIXTURES
from tests.io.captures import entry as _entry
from tests.io.captures import har as _har
from tests.io.captures import write as _write

# --- sniffing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'{"log": {"entries": []}}', "har"),
        (b'{\n  "log": {\n', "har"),
        (b'\xef\xbb\xbf{\n "log": {}}', "har"),
        (b'{"type":"journal","v":1}\n{"type":"exchange"}', "journal"),
        (b'{"type":"exchange","flow":"x"}\n', "journal"),
        (b"1234:abc", "mitm"),
        (b"hello world", None),
        (b'{"something": "else"}', None),
        (b"[1, 2, 3]", None),
        (b"", None),
        (b"   \n", None),
    ],
)
def test_sniff_format(head: bytes, expected: str | None) -> None:
    assert sniff_format(head) == expected


def test_detect_format_errors(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="no such file"):
        detect_format(tmp_path / "missing.har")
    with pytest.raises(CaptureError, match="is a directory"):
        detect_format(tmp_path)
    with pytest.raises(CaptureError, match="empty file"):
        detect_format(_write(tmp_path, "empty", b""))
    with pytest.raises(CaptureError, match="unknown format"):
        detect_format(_write(tmp_path, "text.har", b"not a capture at all"))


def test_format_is_sniffed_not_taken_from_extension(tmp_path: Path) -> None:
    path = _write(tmp_path, "capture.mitm", json.dumps(_har([_entry()])))
    assert detect_format(path) == "har"
    assert len(list(read_exchanges(path))) == 1


def test_missing_file_raises_capture_error_on_iteration(tmp_path: Path) -> None:
    with pytest.raises(CaptureError) as info:
        list(read_exchanges(tmp_path / "nope.ndjson"))
    assert info.value.read_count == 0


def test_generated_mitm_and_har_agree() -> None:
    for har in sorted(FIXTURES.glob("*.har")):
        mitm = har.with_suffix(".mitm")
        a, b = list(read_exchanges(har)), list(read_exchanges(mitm))
        assert len(a) == len(b) > 0, har.name
        for x, y in zip(a, b, strict=True):
            assert (x.method, x.url, x.request_body, x.response_status) == (y.method, y.url, y.request_body,
                                                                            y.response_status)
            assert x.response_header("Location") == y.response_header("Location")
            assert x.timestamp_start == pytest.approx(y.timestamp_start, abs=0.001)


def test_open_capture_reports_progress() -> None:
    cap = open_capture(FIXTURES / "clean-vod.mitm")
    assert cap.format == "mitm" and cap.size > 0
    n = sum(1 for _ in cap)
    assert n == cap.read_count and cap.position == cap.size


# --- garbage never crashes ------------------------------------------------------------------------

_PREFIXES = [b"", b"{", b'{"log":', b'{"type":"journal"}\n', b"12:", b"5:hello,", b"\xef\xbb\xbf{"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=st.sampled_from(_PREFIXES), data=st.binary(max_size=400))
def test_random_bytes_never_crash(tmp_path: Path, prefix: bytes, data: bytes) -> None:
    path = tmp_path / "garbage.bin"
    path.write_bytes(prefix + data)
    try:
        for ex in read_exchanges(path):
            assert isinstance(ex, Exchange)
    except CaptureError as exc:
        assert str(exc)


def test_mangled_fixtures_never_crash(tmp_path: Path) -> None:
    import random

    rng = random.Random(7)
    for src in sorted(FIXTURES.glob("clean-vod.*")):
        data = bytearray(src.read_bytes())
        for trial in range(30):
            mangled = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                mangled[rng.randrange(len(mangled))] = rng.randrange(256)
            if trial % 3 == 0:
                mangled = mangled[: rng.randrange(len(mangled))]
            path = tmp_path / f"m{trial}{src.suffix}"
            path.write_bytes(bytes(mangled))
            try:
                for ex in read_exchanges(path):
                    assert isinstance(ex, Exchange)
            except CaptureError:
                pass
