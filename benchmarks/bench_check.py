"""Throughput of ``mcscope check`` on a large HAR and journal, against baselines measured in the same run.

    .venv/bin/python benchmarks/bench_check.py                            # 100,000 events, both formats
    .venv/bin/python benchmarks/bench_check.py --format har --events 1200000   # a ~1 GB HAR (memory)
    .venv/bin/python benchmarks/bench_check.py --baseline /tmp/base-perf  # also another checkout
    .venv/bin/python benchmarks/bench_check.py --baseline-python /tmp/b/bin/python  # or an install of it

1. Generates the same capture twice, as an mcscope NDJSON journal and as a HAR 1.2 file (clean VOD
   sessions: pings, ad breaks with 1 s ad pings), interleaving many sessions as a live proxy sees them.
2. Per round, interleaved: the real ``mcscope check`` in a child process (default ``--jobs``: one per CPU),
   events/s and that child's peak RSS; with ``--baseline DIR`` the ``mcscope check`` of the checkout in DIR,
   built as a wheel into a throw-away venv with this venv's dependency versions (its own ``mcscope``,
   no PYTHONPATH or sys.path tricks); a ``jsonschema`` structural check (Draft 4 envelope schema, one
   event at a time, no session state: all a schema can judge) of the bodies decoded from the same file;
   and the JSON-decode floor (the file and every body decoded with the standard library, nothing judged).
3. Prints medians over ``--rounds`` and, per round, the ratios against the baselines of that round
   (median of the per-round ratios): the machine is shared, absolute figures drift by 20 % and more.

Targets (issue 10): >= 100,000 events/s and >= 4x the jsonschema check, per format. Not a test: nothing
here asserts a speed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOST = "https://bench.hb-api.omtrdc.net"
EVENT_TYPES = [
    "sessionStart", "sessionComplete", "sessionEnd", "play", "ping", "pauseStart", "bufferStart", "bitrateChange",
    "error", "adBreakStart", "adBreakComplete", "adStart", "adComplete", "adSkip", "chapterStart",
    "chapterComplete", "chapterSkip", "stateStart", "stateEnd", "statesUpdate",
]

ENVELOPE_SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#",
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


def exchanges(events: int, sessions: int, concurrent: int = 100) -> Iterator[tuple[int, str, int, str]]:
    """(ts ms, body, status, sid) of ``events`` events over ``sessions`` sessions, in ts order per group."""
    per = max(3, events // sessions)
    extra = events - per * sessions
    t0 = 1_741_982_400_000
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
            yield ts, body, status, f"{i:064x}"
            try:
                pending[i] = next(gens[i])
            except StopIteration:
                del pending[i]


def generate(path: Path, events: int, sessions: int, concurrent: int = 100) -> int:
    """Write a journal of ``events`` events over ``sessions`` sessions; returns the events written."""
    written = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(json.dumps({"type": "journal", "v": 1, "mcscope": "bench", "created": 1_741_982_400}) + "\n")
        for ts, body, status, sid in exchanges(events, sessions, concurrent):
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
    return written


def generate_har(path: Path, events: int, sessions: int, concurrent: int = 100) -> int:
    """The same capture as :func:`generate`, as a HAR 1.2 file a browser would export (entries in order)."""
    written = 0
    with path.open("w", encoding="utf-8") as out:
        out.write('{"log":{"version":"1.2","creator":{"name":"bench","version":"1"},"pages":[],"entries":[\n')
        for ts, body, status, sid in exchanges(events, sessions, concurrent):
            path_ = "/api/v1/sessions" if status == 201 else f"/api/v1/sessions/{sid}/events"
            started = datetime.fromtimestamp(ts / 1000 + 0.02, UTC).isoformat(timespec="milliseconds")
            resp_headers = (
                f'[{{"name":"Location","value":"/api/v1/sessions/{sid}"}},'
                f'{{"name":"Access-Control-Expose-Headers","value":"Location"}}]'
                if status == 201 else "[]"
            )
            out.write(
                f'{"," if written else ""}{{"startedDateTime":"{started.replace("+00:00", "Z")}","time":30,'
                f'"request":{{"method":"POST","url":"{HOST}{path_}","httpVersion":"HTTP/1.1",'
                f'"headers":[{{"name":"Content-Type","value":"application/json"}}],"queryString":[],'
                f'"cookies":[],"headersSize":-1,"bodySize":{len(body)},'
                f'"postData":{{"mimeType":"application/json","text":{json.dumps(body)}}}}},'
                f'"response":{{"status":{status},"statusText":"","httpVersion":"HTTP/1.1",'
                f'"headers":{resp_headers},"cookies":[],"content":{{"size":0,"mimeType":"text/plain"}},'
                f'"redirectURL":"","headersSize":-1,"bodySize":0}},"cache":{{}},'
                f'"timings":{{"send":0,"wait":30,"receive":0}}}}\n'
            )
            written += 1
        out.write("]}}\n")
    return written


# --------------------------------------------------------------------------------------- variants


def bodies_of(path: Path, fmt: str, loads: Callable[[str | bytes], object] = json.loads) -> Iterator[object]:
    """Every request body of the capture, decoded (the file itself decoded as a plain reader would)."""
    if fmt == "har":
        with path.open("rb") as fh:
            doc = json.load(fh)
        for entry in doc["log"]["entries"]:
            text = (entry["request"].get("postData") or {}).get("text")
            if text:
                yield loads(text)
        return
    with path.open("rb") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec.get("type") == "exchange" and rec["request"]["body"]:
                yield loads(rec["request"]["body"])


def run_jsonschema(path: Path, fmt: str) -> tuple[float, int]:
    """The structural check: decode the file, validate every event body (Draft 4); (seconds, events)."""
    import jsonschema

    validator = jsonschema.Draft4Validator(ENVELOPE_SCHEMA)
    count = invalid = 0
    start = time.perf_counter()
    for body in bodies_of(path, fmt):
        for event in body if isinstance(body, list) else [body]:
            count += 1
            if not validator.is_valid(event):
                invalid += 1
    elapsed = time.perf_counter() - start
    if invalid:
        print(f"  (jsonschema: {invalid} invalid events)", file=sys.stderr)
    return elapsed, count


def run_decode(path: Path, fmt: str) -> tuple[float, int]:
    """The JSON-decode floor: the file and every body decoded with the standard library, nothing judged."""
    start = time.perf_counter()
    count = sum(1 for _ in bodies_of(path, fmt))
    return time.perf_counter() - start, count


#: Runs ``mcscope check`` and reports its peak RSS: VmHWM of the process itself (the kernel resets it at exec,
#: unlike ru_maxrss, which still counts the forked copy of this big benchmark process) and its workers'.
_CHILD = """
import resource, sys
from mcscope.cli import main
try:
    rc = main(sys.argv[1:])
finally:
    hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    sys.stderr.write(f"\\n@@peak {max(hwm, workers)}\\n")
sys.exit(rc)
"""


def run_check(python: Path, path: Path, report: Path, jobs: int) -> tuple[float, int, int]:
    """``mcscope check`` of the install of ``python`` in a child: (seconds, exit code, peak RSS KiB)."""
    cmd = [str(python), "-c", _CHILD, "check", str(path), "--json", str(report), "--quiet", "--fail-on", "never"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    peak = 0
    for line in proc.stderr.splitlines():
        if line.startswith("@@peak "):
            peak = int(line.split()[1])
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
    return elapsed, proc.returncode, peak


def baseline_python(tree: Path, work: Path) -> Path:
    """The checkout in ``tree`` built as a wheel and installed into a throw-away venv under ``work``, with
    this venv's dependency versions (as ``bench_proxy.py --baseline``); its python."""
    wheels, venv, constraints = work / "wheel", work / "venv", work / "constraints.txt"
    print(f"building the baseline from {tree} into {venv} ...", file=sys.stderr, flush=True)
    quiet = ["-q", "--disable-pip-version-check"]
    subprocess.run([sys.executable, "-m", "pip", "wheel", *quiet, "--no-deps", "-w", str(wheels), str(tree)],
                   check=True)
    freeze = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"], capture_output=True,
                            text=True, check=True).stdout
    constraints.write_text("".join(f"{line}\n" for line in freeze.splitlines()
                                   if line and not line.lower().startswith("mcscope")))
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", *quiet, "-c", str(constraints),
                    *map(str, wheels.glob("mcscope-*.whl"))], check=True)
    return python


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--sessions", type=int, default=1_500)
    ap.add_argument("--format", choices=["har", "journal", "both"], default="both")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=0, help="--jobs for mcscope check (default: its default)")
    ap.add_argument("--baseline", type=Path, metavar="DIR", help="also the mcscope check of the checkout in DIR")
    ap.add_argument("--baseline-python", type=Path, metavar="PY",
                    help="or of an install of it (e.g. the venv --baseline built, kept with --keep)")
    ap.add_argument("--python", type=Path, default=Path(sys.executable), metavar="PY",
                    help="the python whose mcscope check is measured (default: this one)")
    ap.add_argument("--no-schema", action="store_true", help="skip the jsonschema and decode baselines")
    ap.add_argument("--keep", action="store_true", help="keep the temporary captures and reports")
    args = ap.parse_args(argv)
    if args.events < 3 * args.sessions or args.sessions < 1:
        ap.error("need at least 3 events per session")

    tmp = Path(tempfile.mkdtemp(prefix="mcscope-bench-"))
    formats = ["har", "journal"] if args.format == "both" else [args.format]
    pythons = {"mcscope check": args.python}
    if args.baseline_python:
        pythons["baseline check"] = args.baseline_python
    elif args.baseline:
        pythons["baseline check"] = baseline_python(args.baseline.resolve(), tmp / "baseline")
    captures: dict[str, Path] = {}
    n = 0
    for fmt in formats:
        path = tmp / ("bench.har" if fmt == "har" else "bench.ndjson")
        t = time.perf_counter()
        n = (generate_har if fmt == "har" else generate)(path, args.events, args.sessions)
        print(f"generated a {fmt} of {n:,} events over {args.sessions:,} sessions "
              f"({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s", flush=True)
        captures[fmt] = path

    for fmt, path in captures.items():
        times: dict[str, list[float]] = {}
        rss: dict[str, list[int]] = {}
        reports: dict[str, bytes] = {}
        for r in range(args.rounds):
            for label, python in pythons.items():
                report = tmp / f"report-{fmt}-{label.split()[0]}.json"
                s, rc, peak = run_check(python, path, report, args.jobs)
                times.setdefault(label, []).append(s)
                rss.setdefault(label, []).append(peak)
                if report.exists():
                    data = json.loads(report.read_text())
                    data.pop("tool", None)
                    reports[label] = json.dumps(data, sort_keys=True).encode()
                if r == 0:
                    print(f"  {label} ({fmt}): exit {rc}, summary {json.loads(report.read_text())['summary']}")
            if not args.no_schema:
                s, count = run_jsonschema(path, fmt)
                assert count == n, (count, n)
                times.setdefault("jsonschema Draft 4", []).append(s)
                s, _ = run_decode(path, fmt)
                times.setdefault("JSON decode floor", []).append(s)
            print(f"  round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
        print(f"{fmt}, {n:,} events, {path.stat().st_size / 1e6:.0f} MB, {args.rounds} rounds (medians):")
        for label, ts in times.items():
            extra = f", peak RSS {statistics.median(rss[label]) / 1024:.0f} MiB" if label in rss else ""
            spread = (max(ts) - min(ts)) / statistics.median(ts) * 100
            print(f"  {label:<20} {statistics.median(ts):7.2f} s  {n / statistics.median(ts):>10,.0f} events/s"
                  f"  (spread {spread:.0f} %){extra}")
        ours = times["mcscope check"]
        for label, ts in times.items():
            if label != "mcscope check":
                ratio = statistics.median(b / a for a, b in zip(ours, ts, strict=True))
                print(f"  mcscope check is {ratio:.2f}x as fast as {label} (median of per-round ratios)")
        if "baseline check" in reports:
            same = reports["baseline check"] == reports["mcscope check"]
            print(f"  reports of mcscope check and baseline check: {'identical' if same else 'DIFFERENT'}")

    if args.keep:
        print(f"kept {tmp}")
    else:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
