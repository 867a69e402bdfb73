"""Do two builds of ``mcscope check`` give identical reports? Every fixture, before and after a change.

    .venv/bin/python benchmarks/same_reports.py --baseline /tmp/base-perf      # a checkout made before
    .venv/bin/python benchmarks/same_reports.py --baseline-python /tmp/a/bin/python --new-python /tmp/b/bin/python

Runs ``mcscope check --json`` of this venv and of the baseline (built as a wheel into a throw-away venv
with this venv's dependency versions, as ``bench_check.py --baseline`` does) on: every capture under
``tests/fixtures``, ``tests/conformance/captures`` and ``../shared/fixtures/external``; each of them cut
short (a truncated file); generated HARs and journals (in order, shuffled); with ``--jobs 1`` and
``--jobs 2`` (each against the baseline's ``--jobs 1``: the one-process result). Compares the JSON reports (``tool.version`` aside), the exit codes and the stderr lines.
Prints every difference; exit status 1 if there is one.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import baseline_python, generate, generate_har  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def captures(tmp: Path, events: int) -> list[Path]:
    dirs = [REPO / "tests" / "fixtures", REPO / "tests" / "conformance" / "captures",
            REPO.parent / "shared" / "fixtures" / "external"]
    files = sorted(p for d in dirs if d.is_dir() for p in d.rglob("*") if p.suffix in (".har", ".mitm", ".ndjson"))
    out = list(files)
    cut = tmp / "cut"
    cut.mkdir()
    for i, p in enumerate(files):  # truncated copies: the complete entries, then the error
        data = p.read_bytes()
        for frac in (0.37, 0.81):
            q = cut / f"{i}-{int(frac * 100)}-{p.name}"
            q.write_bytes(data[: int(len(data) * frac)])
            out.append(q)
    gen = tmp / "gen"
    gen.mkdir()
    har, journal = gen / "gen.har", gen / "gen.ndjson"
    generate_har(har, events, max(1, events // 60))
    generate(journal, events, max(1, events // 60))
    doc = json.loads(har.read_text())
    random.Random(3).shuffle(doc["log"]["entries"])
    shuffled = gen / "shuffled.har"
    shuffled.write_text(json.dumps(doc))
    return [*out, har, journal, shuffled]


def run(python: Path, path: Path, report: Path, jobs: int) -> tuple[int, str, dict]:
    proc = subprocess.run([str(python), "-m", "mcscope", "check", str(path), "--json", str(report), "-q",
                           "--jobs", str(jobs)], cwd="/", capture_output=True, text=True)
    data = json.loads(report.read_text()) if report.exists() else {}
    data.pop("tool", None)
    report.unlink(missing_ok=True)
    return proc.returncode, proc.stderr, data


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", type=Path, metavar="DIR", help="the checkout to compare with")
    ap.add_argument("--baseline-python", type=Path, metavar="PY", help="or the python of an install of it")
    ap.add_argument("--new-python", type=Path, metavar="PY", default=Path(sys.executable),
                    help="the python of the build to check (default: this one)")
    ap.add_argument("--events", type=int, default=40_000, help="events of the generated captures")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mcscope-same-") as t:
        tmp = Path(t)
        if args.baseline_python:
            base = args.baseline_python
        elif args.baseline:
            base = baseline_python(args.baseline.resolve(), tmp / "baseline")
        else:
            ap.error("--baseline or --baseline-python")
        files = captures(tmp, args.events)
        diffs = 0
        for path in files:
            # below shard.MIN_SIZE (16 MiB) --jobs 2 takes the one-process path anyway
            for jobs in (1, 2) if path.stat().st_size >= 16 << 20 else (1,):
                got = run(args.new_python, path, tmp / "new.json", jobs)
                want = run(base, path, tmp / "old.json", 1)  # the reference: the baseline in one process
                if got != want:
                    diffs += 1
                    print(f"DIFFERENT: {path} --jobs {jobs}: exit {got[0]} vs {want[0]}")
                    if got[1] != want[1]:
                        print(f"  stderr now:    {got[1].strip()[:400]}\n  stderr before: {want[1].strip()[:400]}")
                    if got[2] != want[2]:
                        print(f"  reports differ (sessions {len(got[2].get('sessions', []))} vs "
                              f"{len(want[2].get('sessions', []))})")
        print(f"{len(files)} captures (--jobs 1, and 2 for those over 16 MiB): {diffs} different")
        return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
