"""Ads (rules.md §8): breaks, ads, ignored ads outside a break, pod numbering."""

from __future__ import annotations

from typing import Any

from mcscope.core import spec
from mcscope.core.rules import pings
from mcscope.core.rules.catalogue import RULES
from mcscope.core.state import Event, SessionState

IGNORED_AD_REASON = "ad outside an ad break: ignored, its time is counted as main content"
BREAK_KEYS_ON_AD = ("media.ad.podFriendlyName", "media.ad.podIndex", "media.ad.podSecond")
PLAYHEAD_TOLERANCE = 1.0


def handle(s: SessionState, ev: Event) -> None:
    et = ev.event_type
    if s.in_break is True and et != "adBreakStart":
        _playhead_in_break(s, ev)
    if et == "adBreakStart":
        _break_start(s, ev)
    elif et == "adBreakComplete":
        _break_complete(s, ev)
    elif et == "adStart":
        _ad_start(s, ev)
    elif et in ("adComplete", "adSkip"):
        _ad_end(s, ev)
    elif et in ("play", "pauseStart", "bufferStart") and s.in_break is True:
        if s.break_ads == 0:
            s.emit("event-before-first-ad", f"{et} between adBreakStart and its first adStart", ev)
        elif et == "play" and s.in_ad is False:
            s.break_play_between = ev
    ev.context = _context(s)


def _context(s: SessionState) -> str:
    if s.in_break is True:
        return "ad" if s.in_ad else "break"
    if s.ignored_ad is not None:
        return "ignored-ad"
    if s.in_break is None:
        return "ad" if s.in_ad else "unknown"
    return "main"


def _playhead_in_break(s: SessionState, ev: Event) -> None:
    if s.break_moved_reported or s.break_playhead is None or ev.playhead is None:
        return
    if abs(ev.playhead - s.break_playhead) > PLAYHEAD_TOLERANCE:
        s.break_moved_reported = True
        s.emit("playhead-moved-in-break", f"playhead moved from {s.break_playhead:g} to {ev.playhead:g} during the "
               "ad break; keep the main-content position", ev)


def _break_start(s: SessionState, ev: Event) -> None:
    params = ev.params
    problems = []
    pod_index = params.get("media.ad.podIndex")
    pod_second = params.get("media.ad.podSecond")
    if not spec.json_type_ok(pod_index, "integer"):
        problems.append("integer media.ad.podIndex" if pod_index is None else f"media.ad.podIndex {pod_index!r} "
                        "is not an integer")
    if not spec.json_type_ok(pod_second, "number"):
        problems.append("numeric media.ad.podSecond" if pod_second is None else f"media.ad.podSecond "
                        f"{pod_second!r} is not a number")
    if problems and isinstance((ev.body or {}).get("params"), dict):
        s.emit("ad-break-start-params", "adBreakStart without " + "; ".join(problems), ev)
    if s.in_break is True:
        s.emit("ad-break-nested", "adBreakStart while an ad break is open (close it with adBreakComplete first)", ev)
        _close_break(s, ev)
    if spec.json_type_ok(pod_index, "integer"):
        if pod_index < 1:
            s.emit("pod-numbering", f"media.ad.podIndex {pod_index} is below 1 (sources disagree; Adobe's SDK "
                   "starts at 1)", ev)
        if pod_index in s.pod_indexes:
            s.emit("pod-numbering", f"media.ad.podIndex {pod_index} reused for another break (pods merge in "
                   "reports)", ev)
        s.pod_indexes.add(pod_index)
    if spec.json_type_ok(pod_second, "number") and ev.playhead is not None:
        if abs(spec.as_float(pod_second) - ev.playhead) > PLAYHEAD_TOLERANCE:
            s.emit("pod-second-mismatch", f"media.ad.podSecond {spec.number_text(pod_second)} but playhead "
                   f"{ev.playhead:g}", ev)
    if s.content_started is True and s.breaks_seen == 0 and _is_preroll(s, ev, pod_second):
        s.emit("play-before-preroll", "play was sent before the pre-roll ad break (inflates content starts)",
               s.first_play or ev)
    if s.ignored_ad is not None:
        _close_ignored_ad(s, ev)
    s.in_break = True
    s.in_ad = False
    s.break_event = ev
    s.break_ads = 0
    s.break_playhead = ev.playhead
    s.break_moved_reported = False
    s.break_play_between = None
    s.breaks_seen += 1
    s.awaiting_play_after_break = False
    if s.timeline is not None:
        name = params.get("media.ad.podFriendlyName")
        label = str(name) if isinstance(name, str) and name else f"break {pod_index if pod_index is not None else ''}"
        s.timeline.open("adbreak", "break", "break", ev.t, label.strip(), event=ev.index)


def _is_preroll(s: SessionState, ev: Event, pod_second: Any) -> bool:
    progressed = s.max_content_playhead is not None and s.max_content_playhead > PLAYHEAD_TOLERANCE
    at_zero = (spec.json_type_ok(pod_second, "number") and pod_second <= PLAYHEAD_TOLERANCE) or (
        ev.playhead is not None and ev.playhead <= PLAYHEAD_TOLERANCE
    )
    return at_zero and not progressed


def _close_break(s: SessionState, ev: Event) -> None:
    if s.in_ad:
        _close_ad(s, ev)
    if s.break_ads == 0 and s.break_event is not None:
        s.emit("empty-ad-break", "ad break closed without any adStart", ev)
    s.in_break = False
    s.in_ad = False
    s.break_event = None
    if s.timeline is not None:
        s.timeline.close("adbreak", "break", ev.t)


def _break_complete(s: SessionState, ev: Event) -> None:
    if s.in_break is False:
        s.emit("ad-break-nested", "adBreakComplete with no ad break open", ev)
        return
    if s.in_break is True:
        _close_break(s, ev)
    else:  # capture began inside the break: from now on the state is known
        if s.in_ad:
            _close_ad(s, ev)
        s.in_break = False
        s.in_ad = False
    s.awaiting_play_after_break = True


def _ad_start(s: SessionState, ev: Event) -> None:
    params = ev.params
    if isinstance((ev.body or {}).get("params"), dict):
        _check_ad_params(s, ev, params)
    if s.in_break is False:
        _ignored_ad(s, ev)
        return
    if s.in_ad is True:
        s.emit("ad-nested", "adStart while an ad is open (complete or skip the previous ad first)", ev)
        _close_ad(s, ev)
    if s.in_break is True and s.break_play_between is not None:
        s.emit("gap-between-ads", "main-content play between two ads of one break (send adComplete right before "
               "the next adStart)", s.break_play_between)
        s.break_play_between = None
    s.in_ad = True
    s.ad_event = ev
    s.break_ads += 1
    s.m["ads_started"] += 1
    pings.on_ad_start(s, ev)
    if s.timeline is not None:
        s.timeline.open("ad", "ad", "ad", ev.t, _ad_label(params), event=ev.index)


def _check_ad_params(s: SessionState, ev: Event, params: dict[str, Any]) -> None:
    problems = []
    for key, (jtype, required) in spec.AD_PARAMS.items():
        if not required:
            continue
        value = params.get(key)
        if value is None or (jtype == "string" and isinstance(value, str) and not value.strip()):
            problems.append(f"{key} missing")
        elif not spec.json_type_ok(value, jtype):
            problems.append(f"{key} {value!r} is not a{'n' if jtype == 'integer' else ''} {jtype}")
    if problems:
        s.emit("ad-start-params", "adStart: " + "; ".join(problems), ev)
    position = params.get("media.ad.podPosition")
    if spec.json_type_ok(position, "integer") and position < 1:
        s.emit("pod-numbering", f"media.ad.podPosition {position} is below 1 (the MC API reference starts at 1)", ev)
    keys = [k for k in BREAK_KEYS_ON_AD if k in params]
    if keys:
        s.emit("ad-break-keys-on-ad", f"ad-break keys on adStart: {', '.join(keys)}", ev)


def _ignored_ad(s: SessionState, ev: Event) -> None:
    s.emit("ad-outside-break", "adStart outside an ad break: Adobe ignores the ad and counts its time as main "
           "content", ev, ignored=True)
    s.drop(ev, IGNORED_AD_REASON)
    if s.ignored_ad is not None:
        _close_ignored_ad(s, ev)
    s.ignored_ad = ev
    s.m["ads_ignored"] += 1
    if s.timeline is not None:
        s.timeline.open("ad", "ignored", "ad", ev.t, "ignored — counted as main content: " + _ad_label(ev.params),
                        ignored=True, reason=IGNORED_AD_REASON, event=ev.index)
        s.timeline.open("content-ignored-ad", "ignored", "ignored-ad", ev.t, "ad time counted as main content",
                        ignored=True, reason=IGNORED_AD_REASON, event=ev.index)


def _close_ignored_ad(s: SessionState, ev: Event) -> None:
    s.ignored_ad = None
    if s.timeline is not None:
        s.timeline.close("ad", "ignored", ev.t)
        s.timeline.close("content-ignored-ad", "ignored", ev.t)


def _ad_end(s: SessionState, ev: Event) -> None:
    et = ev.event_type
    if s.in_break is False:
        s.emit("ad-outside-break", f"{et} outside an ad break: ignored by Adobe", ev, ignored=True)
        s.drop(ev, RULES["ad-outside-break"].consequence or IGNORED_AD_REASON)
        if s.ignored_ad is not None:
            _close_ignored_ad(s, ev)
        return
    if s.in_ad is True:
        _close_ad(s, ev)
    elif s.in_break is True:
        s.emit("ad-nested", f"{et} inside an ad break with no open ad", ev)
    s.in_ad = False
    s.break_ad_closed = True


def _close_ad(s: SessionState, ev: Event) -> None:
    pings.on_ad_end(s, ev)
    s.in_ad = False
    s.ad_event = None
    if s.timeline is not None:
        s.timeline.close("ad", "ad", ev.t)


def _ad_label(params: dict[str, Any]) -> str:
    for key in ("media.ad.name", "media.ad.id"):
        value = params.get(key)
        if isinstance(value, str) and value:
            return value
    return "ad"
