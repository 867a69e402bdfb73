"""Throughput of ``mcscope check`` on a large journal, compared with plain JSON-Schema validation.

    .venv/bin/python benchmarks/bench_check.py                      # 1,000,000 events, 2,000 sessions
    .venv/bin/python benchmarks/bench_check.py --events 100000 --sessions 200

1. Generates an mcscope NDJSON journal (clean VOD sessions: pings, pauses, ad breaks with 1 s ad
   pings), interleaving many sessions as a live proxy would see them, into a temporary directory.
2. Runs the real ``mcscope check`` on it in a child process (``python -m addon check``) and reports
   events/s and the child's peak RSS.
3. Validates the same events with ``jsonschema`` against a structural schema of the envelope
   (the only thing a schema can judge: one event at a time, no session state) and prints the ratio.

Not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOST = "https://bench.hb-api.omtrdc.net"
EVENT_TYPES = [
    "sessionStart", "sessionComplete", "sessionEnd", "play", "ping", "pauseStart", "bufferStart", "bitrateChange",
    "error", "adBreakStart", "adBreakComplete", "adStart", "adComplete", "adSkip", "chapterStart",
    "chapterComplete", "chapterSkip", "stateStart", "stateEnd", "statesUpdate",
]

ENVELOPE_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["playerTime", "eventType"],
    "additionalProperties": False,
    "properties": {
        "playerTime": {
            "type": "object",
            "required": ["playhead", "ts"],
            "additionalProperties": False,
            "properties": {"playhead": {"type": "number"}, "ts": {"type": "integer"}},
        },
        "eventType": {"enum": EVENT_TYPES},
        "params": {"type": "object"},
        "qoeData": {"type": "object"},
        "customMetadata": {"type": "object"},
    },
}

START_PARAMS = (
    '"params":{"analytics.trackingServer":"bench.sc.omtrdc.net","analytics.reportSuite":"benchsuite",'
    '"analytics.enableSSL":true,"visitor.marketingCloudOrgId":"0123456789ABCDEF01234567@AdobeOrg",'
    '"visitor.marketingCloudUserId":"1234567890","media.id":"bench-%d","media.name":"Bench %d",'
    '"media.length":%d,"media.contentType":"vod","media.streamType":"video",'
    '"media.playerName":"bench-player","media.channel":"bench"}'
)


def session_events(n: int, index: int, start_ms: int) -> Iterator[tuple[int, str, int]]:
    """(ts, body, status) of one clean VOD session of exactly ``n`` events (n >= 3)."""
    ms = start_ms
    playhead = 0.0
    length = max(60, n * 11)
    pod = 0

    def body(event_type: str, extra: str = "") -> str:
        return f'{{"playerTime":{{"playhead":{playhead:.3f},"ts":{ms}}},"eventType":"{event_type}"{extra}}}'

    yield ms, body("sessionStart", "," + START_PARAMS % (index, index, length)), 201
    ms += 250
    yield ms, body("play"), 204
    left = n - 3
    since_break = 0
    while left > 0:
        if since_break >= 40 and left >= 9:  # a mid-roll: break, ad, 4 ad pings, ad complete, break complete
            pod += 1
            ms += 3
            yield ms, body("adBreakStart", f',"params":{{"media.ad.podIndex":{pod},'
                                           f'"media.ad.podSecond":{playhead:.3f}}}'), 204
            ms += 3
            yield ms, body("adStart", ',"params":{"media.ad.id":"ad","media.ad.length":6,'
                                      '"media.ad.podPosition":1,"media.ad.playerName":"bench-player"}'), 204
            for _ in range(4):
                ms += 1000
                yield ms, body("ping"), 204
            ms += 2000
            yield ms, body("adComplete"), 204
            ms += 3
            yield ms, body("adBreakComplete"), 204
            ms += 3
            yield ms, body("play"), 204
            left -= 9
            since_break = 0
            continue
        ms += 10_000
        playhead += 10
        yield ms, body("ping"), 204
        left -= 1
        since_break += 1
    ms += 500
    playhead += 0.5
    yield ms, body("sessionComplete"), 204


def generate(path: Path, events: int, sessions: int, concurrent: int = 100) -> int:
    """Write a journal of ``events`` events over ``sessions`` sessions; returns the events written."""
    per = max(3, events // sessions)
    extra = events - per * sessions
    t0 = 1_741_982_400_000
    written = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(json.dumps({"type": "journal", "v": 1, "mcscope": "bench", "created": t0 / 1000}) + "\n")
        for group in range(0, sessions, concurrent):
            ids = range(group, min(sessions, group + concurrent))
            gens = {
                i: session_events(per + (1 if i < extra else 0), i, t0 + group * 10_000_000 + (i - group) * 37)
                for i in ids
            }
            pending: dict[int, tuple[int, str, int]] = {}
            for i, g in gens.items():
                pending[i] = next(g)
            while pending:  # emit in ts order across the concurrent sessions
                i = min(pending, key=lambda k: pending[k][0])
                ts, body, status = pending[i]
                sid = f"{i:064x}"
                path_ = "/api/v1/sessions" if status == 201 else f"/api/v1/sessions/{sid}/events"
                t = ts / 1000 + 0.02
                resp_headers = (
                    f'[["Location","/api/v1/sessions/{sid}"],["Access-Control-Expose-Headers","Location"]]'
                    if status == 201 else "[]"
                )
                out.write(
                    f'{{"type":"exchange","flow":"b{written}","method":"POST","url":"{HOST}{path_}",'
                    f'"t_start":{t:.3f},"t_end":{t + 0.03:.3f},"error":null,"live":false,'
                    f'"request":{{"headers":[["Content-Type","application/json"]],"body":{json.dumps(body)}}},'
                    f'"response":{{"status":{status},"headers":{resp_headers},"body":""}}}}\n'
                )
                written += 1
                try:
                    pending[i] = next(gens[i])
                except StopIteration:
                    del pending[i]
    return written


def run_check(journal: Path, report: Path) -> tuple[float, int, int]:
    """Run ``mcscope check`` in a child; (seconds, exit code, child peak RSS in KiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "mcscope", "check", str(journal), "--json", str(report), "--quiet",
         "--fail-on", "never"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, proc.returncode, max(peak, before)


def run_jsonschema(journal: Path) -> tuple[float, int, int]:
    """Read the journal and validate every event body: (seconds, events, invalid)."""
    import jsonschema

    validator = jsonschema.Draft7Validator(ENVELOPE_SCHEMA)
    count = invalid = 0
    start = time.perf_counter()
    with journal.open("rb") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec.get("type") != "exchange":
                continue
            body = json.loads(rec["request"]["body"])
            for event in body if isinstance(body, list) else [body]:
                count += 1
                if not validator.is_valid(event):
                    invalid += 1
    return time.perf_counter() - start, count, invalid


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--sessions", type=int, default=2_000)
    ap.add_argument("--keep", action="store_true", help="keep the temporary journal and report")
    args = ap.parse_args(argv)
    if args.events < 3 * args.sessions or args.sessions < 1:
        ap.error("need at least 3 events per session")

    tmp = Path(tempfile.mkdtemp(prefix="mcscope-bench-"))
    journal, report = tmp / "bench.ndjson", tmp / "report.json"
    t = time.perf_counter()
    n = generate(journal, args.events, args.sessions)
    gen_s = time.perf_counter() - t
    size_mb = journal.stat().st_size / 1e6
    print(f"generated {n:,} events over {args.sessions:,} sessions ({size_mb:.0f} MB) in {gen_s:.1f} s")

    check_s, rc, rss_kib = run_check(journal, report)
    summary = json.loads(report.read_text())["summary"] if report.exists() else {}
    print(f"mcscope check: {check_s:.1f} s, {n / check_s:,.0f} events/s, peak RSS {rss_kib / 1024:.0f} MiB, "
          f"exit {rc}, summary {summary}")

    js_s, js_n, js_bad = run_jsonschema(journal)
    print(f"jsonschema (envelope only): {js_s:.1f} s, {js_n / js_s:,.0f} events/s, {js_bad} invalid")
    print(f"ratio: mcscope check takes {check_s / js_s:.2f}x the time of envelope-only schema validation")

    if args.keep:
        print(f"kept {tmp}")
    else:
        for p in (journal, report):
            p.unlink(missing_ok=True)
        tmp.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
