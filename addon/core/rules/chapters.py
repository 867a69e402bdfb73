"""Chapters (rules.md §9)."""

from __future__ import annotations

from mcscope.core import spec
from mcscope.core.state import Event, SessionState

OFFSET_TOLERANCE = 1.0


def handle(s: SessionState, ev: Event) -> None:
    et = ev.event_type
    if et == "chapterStart":
        _start(s, ev)
    elif et in ("chapterComplete", "chapterSkip"):
        if s.in_chapter is False:
            s.emit("chapter-unopened", f"{et} with no open chapter", ev)
        s.in_chapter = False
        if s.timeline is not None:
            s.timeline.close("chapter", "chapter", ev.t)


def _start(s: SessionState, ev: Event) -> None:
    params = ev.params
    problems = []
    for key, (jtype, required) in spec.CHAPTER_PARAMS.items():
        if not required:
            continue
        value = params.get(key)
        if value is None:
            problems.append(f"{key} missing")
        elif not spec.json_type_ok(value, jtype):
            problems.append(f"{key} {value!r} is not {'an integer' if jtype == 'integer' else 'a number'}")
    if problems and isinstance((ev.body or {}).get("params"), dict):
        s.emit("chapter-start-params", "chapterStart: " + "; ".join(problems), ev)
    if s.in_chapter is True:
        s.emit("chapter-nested", "chapterStart while a chapter is open (chapters cannot overlap)", ev)
    offset = params.get("media.chapter.offset")
    if (spec.json_type_ok(offset, "number") and ev.playhead is not None
            and abs(spec.as_float(offset) - ev.playhead) > OFFSET_TOLERANCE):
        s.emit("chapter-offset-mismatch", f"media.chapter.offset {spec.number_text(offset)} but playhead "
               f"{ev.playhead:g}", ev)
    s.in_chapter = True
    s.m["chapters_started"] += 1
    if s.timeline is not None:
        name = params.get("media.chapter.friendlyName")
        index = params.get("media.chapter.index")
        label = name if isinstance(name, str) and name else f"chapter {index if index is not None else ''}".strip()
        s.timeline.open("chapter", "chapter", "chapter", ev.t, label, event=ev.index)
