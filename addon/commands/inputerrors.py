"""The Markdown and JUnit reports of a check whose input had errors: they must not say "passed".

:mod:`mcscope.io.report` renders a report of sessions and findings; it does not know that a file could not
be read (the check's exit code 2). These add it: Markdown's verdict becomes "input error" with each file's
problem listed, JUnit gets an ``<error>`` testcase per such file (an unreadable one loses the "no session
found" skip, which would say it was read).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping

_VERDICTS = ("✅ passed", "❌ failed")


def mark_markdown(text: str, problems: Mapping[str, str]) -> str:
    """``text`` (io.report.to_markdown) with the verdict "⚠️ input error" and the problems listed."""
    if not problems:
        return text
    head, sep, rest = text.partition("\n")
    for verdict in _VERDICTS:
        if head.startswith("## mcscope check: " + verdict):
            head = head.replace(verdict, "⚠️ input error", 1)
            break
    items = "".join(f"- {_md(message)}\n" for message in problems.values())
    return f"{head}{sep}\nInput errors (exit 2):\n\n{items}{rest}"


def mark_junit(text: str, problems: Mapping[str, str], unreadable: set[str]) -> str:
    """``text`` (io.report.to_junit) with an ``<error>`` testcase in the suite of each file in ``problems``.

    ``unreadable``: files nothing was read from; their "no session" skipped testcase goes."""
    if not problems:
        return text
    root = ET.fromstring(text)
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    for source, message in problems.items():
        suite = suites.get(source)
        if suite is None:
            continue
        if source in unreadable:
            for case in suite.findall("testcase"):
                if case.find("skipped") is not None:
                    suite.remove(case)
                    _add(suite, "skipped", -1)
                    _add(suite, "tests", -1)
        case = ET.SubElement(suite, "testcase", classname=_classname(suite, source), name="reading the capture",
                             time="0.000")
        ET.SubElement(case, "error", message=message, type="input-error")
        _add(suite, "tests", 1)
        _add(suite, "errors", 1)
    for name in ("tests", "errors"):
        root.set(name, str(sum(int(s.get(name) or 0) for s in root.iter("testsuite"))))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _classname(suite: ET.Element, source: str) -> str:
    for case in suite.iter("testcase"):
        if case.get("classname"):
            return str(case.get("classname"))
    return "mcscope." + (source.rsplit("/", 1)[-1].replace(".", "_") or "capture")


def _add(element: ET.Element, name: str, delta: int) -> None:
    element.set(name, str(max(0, int(element.get(name) or 0) + delta)))


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("`", "'")
