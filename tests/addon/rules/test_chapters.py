"""Chapters (rules.md §9)."""

from __future__ import annotations

import pytest

from tests.addon.builder import Capture, clean_vod
from tests.addon.rules.rulecase import Fires, Quiet, assert_fires, assert_quiet, found, ids, last, playing


def chapter(index: object = 1, offset: object = None, length: object = 300, **over: object) -> dict:
    params = {"media.chapter.index": index, "media.chapter.offset": offset, "media.chapter.length": length,
              "media.chapter.friendlyName": f"chapter {index}"}
    params.update({k.replace("__", "."): v for k, v in over.items()})
    return {k: v for k, v in params.items() if v is not None}


def _start(c: Capture, index: object = 1, **kw: object) -> None:
    kw.setdefault("offset", round(c.playhead + 0.01, 3))
    c.ev("chapterStart", dt=10, params=chapter(index, **kw))


# --- fires ----------------------------------------------------------------------------------------------
def _index_string() -> tuple[Capture, int]:
    c = playing()
    _start(c, index="1")
    return c, last(c)


def _length_missing() -> tuple[Capture, int]:
    c = playing()
    _start(c, length=None)
    return c, last(c)


def _offset_bool() -> tuple[Capture, int]:
    c = playing()
    _start(c, offset=True)
    return c, last(c)


def _chapter_in_chapter() -> tuple[Capture, int]:
    c = playing()
    _start(c)
    c.ping_for(10)
    _start(c, index=2)
    return c, last(c)


def _complete_without_chapter() -> tuple[Capture, int]:
    c = playing()
    c.ping_for(10)
    c.ev("chapterComplete", dt=1000)
    return c, last(c)


def _skip_after_complete() -> tuple[Capture, int]:
    c = playing()
    _start(c)
    c.ping_for(10)
    c.ev("chapterComplete", dt=1000)
    c.ev("chapterSkip", dt=1000)
    return c, last(c)


def _open_at_complete() -> tuple[Capture, int]:
    c = playing()
    _start(c)
    c.ping_for(10)
    c.ev("sessionComplete", dt=1000)
    return c, last(c)


def _open_at_end() -> tuple[Capture, int]:
    c = playing()
    _start(c)
    c.ping_for(10)
    c.ev("sessionEnd", dt=1000)
    return c, last(c)


def _offset_off() -> tuple[Capture, int]:
    c = playing()
    c.ping_for(30)
    _start(c, offset=0)
    return c, last(c)


FIRES = [
    Fires("chapter-start-params", _index_string),
    Fires("chapter-start-params", _length_missing),
    Fires("chapter-start-params", _offset_bool),
    Fires("chapter-nested", _chapter_in_chapter),
    Fires("chapter-unopened", _complete_without_chapter),
    Fires("chapter-unopened", _skip_after_complete),
    Fires("chapter-open-at-end", _open_at_complete),
    Fires("chapter-open-at-end", _open_at_end),
    Fires("chapter-offset-mismatch", _offset_off),
]


# --- near misses -----------------------------------------------------------------------------------------
def _two_chapters() -> Capture:
    c = playing()
    _start(c, offset=0.0, length=10.5)
    c.ping_for(10)
    c.ev("chapterComplete", dt=10)
    _start(c, index=2)
    c.ping_for(10)
    c.ev("chapterSkip", dt=10)
    c.ev("sessionComplete", dt=10)
    return c


def _fragment_chapter_complete() -> Capture:
    c = Capture()  # the chapterStart was before the capture began
    c.ev("ping", dt=10000)
    c.ev("chapterComplete", dt=1000)
    c.ev("sessionEnd", dt=10)
    return c


def _open_at_capture_end() -> Capture:
    c = playing()
    _start(c)
    c.ping_for(10)
    return c


def _offset_within_1s() -> Capture:
    c = playing()
    c.ping_for(30)
    _start(c, offset=round(c.playhead - 0.9, 3))  # the chapterStart lands 10 ms later
    return c


QUIET = [
    Quiet("chapter-start-params", "integer index, float offset", _two_chapters),
    Quiet("chapter-nested", "chapter closed before the next", _two_chapters),
    Quiet("chapter-unopened", "chapterComplete in a fragment", _fragment_chapter_complete),
    Quiet("chapter-unopened", "complete and skip of open chapters", _two_chapters),
    Quiet("chapter-open-at-end", "open at capture end, session not closed", _open_at_capture_end),
    Quiet("chapter-open-at-end", "chapter closed before sessionComplete", _two_chapters),
    Quiet("chapter-open-at-end", "clean_vod", clean_vod),
    Quiet("chapter-offset-mismatch", "offset within 1 s", _offset_within_1s),
]


@pytest.mark.parametrize("case", FIRES, ids=ids)
def test_fires(case: Fires) -> None:
    assert_fires(case)


@pytest.mark.parametrize("case", QUIET, ids=ids)
def test_quiet(case: Quiet) -> None:
    assert_quiet(case)


def test_chapters_started_metric() -> None:
    an = _two_chapters().analyze()
    assert an.sessions[0].metrics()["chapters_started"] == 2


def test_chapter_open_at_end_once() -> None:
    c, _ = _open_at_complete()
    c.ev("sessionEnd", dt=1000)
    assert len(found(c.analyze(), "chapter-open-at-end")) == 1
