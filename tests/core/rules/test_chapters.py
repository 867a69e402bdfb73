"""Chapters (rules.md §9)."""

from __future__ import annotations

from tests.builder import Capture, clean_vod
from tests.core.rules.casetable import LAST, Table, findings, playing

T = Table("chapters")


def chapter(index: object = 1, offset: object = None, length: object = 300, **over: object) -> dict:
    params = {"media.chapter.index": index, "media.chapter.offset": offset, "media.chapter.length": length,
              "media.chapter.friendlyName": f"chapter {index}"}
    params.update({k.replace("__", "."): v for k, v in over.items()})
    return {k: v for k, v in params.items() if v is not None}


def _start(c: Capture, index: object = 1, **kw: object) -> None:
    kw.setdefault("offset", round(c.playhead + 0.01, 3))
    c.ev("chapterStart", dt=10, params=chapter(index, **kw))


# --- fires ----------------------------------------------------------------------------------------------
@T.fires("chapter-start-params", event=LAST)
def _index_string() -> Capture:
    c = playing()
    _start(c, index="1")
    return c


@T.fires("chapter-start-params", event=LAST)
def _length_missing() -> Capture:
    c = playing()
    _start(c, length=None)
    return c


@T.fires("chapter-start-params", event=LAST)
def _offset_bool() -> Capture:
    c = playing()
    _start(c, offset=True)
    return c


@T.fires("chapter-nested", event=LAST)
def _chapter_in_chapter() -> Capture:
    c = playing()
    _start(c)
    c.ping_for(10)
    _start(c, index=2)
    return c


@T.fires("chapter-unopened", event=LAST)
def _complete_without_chapter() -> Capture:
    c = playing()
    c.ping_for(10)
    c.ev("chapterComplete", dt=1000)
    return c


@T.fires("chapter-unopened", event=LAST)
def _skip_after_complete() -> Capture:
    c = playing()
    _start(c)
    c.ping_for(10)
    c.ev("chapterComplete", dt=1000)
    c.ev("chapterSkip", dt=1000)
    return c


@T.fires("chapter-open-at-end", event=LAST)
def _open_at_complete() -> Capture:
    c = playing()
    _start(c)
    c.ping_for(10)
    c.ev("sessionComplete", dt=1000)
    return c


@T.fires("chapter-open-at-end", event=LAST)
def _open_at_end() -> Capture:
    c = playing()
    _start(c)
    c.ping_for(10)
    c.ev("sessionEnd", dt=1000)
    return c


@T.fires("chapter-offset-mismatch", event=LAST)
def _offset_off() -> Capture:
    c = playing()
    c.ping_for(30)
    _start(c, offset=0)
    return c


# --- near misses -----------------------------------------------------------------------------------------
@T.quiet("chapter-start-params", "integer index, float offset")
@T.quiet("chapter-nested", "chapter closed before the next")
@T.quiet("chapter-unopened", "complete and skip of open chapters")
@T.quiet("chapter-open-at-end", "chapter closed before sessionComplete")
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


@T.quiet("chapter-unopened", "chapterComplete in a fragment")
def _fragment_chapter_complete() -> Capture:
    c = Capture()  # the chapterStart was before the capture began
    c.ev("ping", dt=10000)
    c.ev("chapterComplete", dt=1000)
    c.ev("sessionEnd", dt=10)
    return c


@T.quiet("chapter-open-at-end", "open at capture end, session not closed")
def _open_at_capture_end() -> Capture:
    c = playing()
    _start(c)
    c.ping_for(10)
    return c


@T.quiet("chapter-offset-mismatch", "offset within 1 s")
def _offset_within_1s() -> Capture:
    c = playing()
    c.ping_for(30)
    _start(c, offset=round(c.playhead - 0.9, 3))  # the chapterStart lands 10 ms later
    return c


T.quiet("chapter-open-at-end")(clean_vod)

test_fires, test_quiet = T.tests()


def test_chapters_started_metric() -> None:
    an = _two_chapters().analyze()
    assert an.sessions[0].metrics()["chapters_started"] == 2


def test_chapter_open_at_end_once() -> None:
    c = _open_at_complete()
    c.ev("sessionEnd", dt=1000)
    assert len(findings(c.analyze(), "chapter-open-at-end")) == 1
