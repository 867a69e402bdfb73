"""The Media Edge API scenarios of ``mcscope simulate --protocol edge``: clean playbacks and faulty ones.

The same :class:`~mcscope.sim.script.Player` bookkeeping as the REST scenarios (several REST scripts are
registered again here, played by an Edge client: their Edge twins); ``edge_wire.py`` sends each step as the
client named by the scenario would (Edge Media SDK, Web SDK, a hand-built client). Clean scenarios must
produce no error and no warning. Each faulty scenario lists every rule id it triggers at warning level or
above, its consequences included (an event the Edge refuses leaves a gap, a session whose start failed
has nothing after it), as the REST faulty scenarios do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcscope.sim import scenarios as rest
from mcscope.sim.edge_wire import HAND_BUILT, MEDIA_SDK, WEB_SDK, EdgeClient
from mcscope.sim.script import Player, base_params, scenario

FIRST_QOE = rest.FIRST_QOE
STORED_HINT = "va6"  # a location hint the client kept from an earlier session (media-edge.md §1.1)
HINTED_SDK = EdgeClient("Edge Media SDK (Android/iOS) with a stored location hint", hint=STORED_HINT)
RAW_METADATA_SDK = EdgeClient("Edge Media SDK (Android/iOS), raw custom metadata keys", tenant=None)
# A session whose every event after sessionStart the Edge refused is left open; once the capture outlives the
# idle timeout it times out without a play (as the REST "abandoned" scenario).
NEVER_PLAYED = ("no-content-play",)


def _vod(p: Player, media_id: str, name: str, length: float, **over: Any) -> None:
    rest._vod(p, media_id, name, length, **over)


def _xdm(body: dict[str, Any]) -> dict[str, Any]:
    xdm: dict[str, Any] = body["events"][0]["xdm"]
    return xdm


def _mc(body: dict[str, Any]) -> dict[str, Any]:
    mc: dict[str, Any] = _xdm(body)["mediaCollection"]
    return mc


# ---------------------------------------------------------------------------------------- clean
@scenario("edge-vod-preroll-chapters", client=MEDIA_SDK)
def vod_preroll_chapters(p: Player) -> None:
    """Edge Media SDK, 8-minute VOD episode: 2-ad pre-roll, two chapters with a mid-roll between them,
    a bitrate change, fullscreen (statesUpdate), custom metadata on the session, ads and chapters,
    sessionComplete."""
    p.start(base_params(p.index, **{"media.id": "edge-episode-7", "media.name": "Edge episode 7",
                                    "media.length": 480}), custom={"show": "Edge stories", "season": "1"})
    p.ad_break(1, [("edge-preroll-a", 15), ("edge-preroll-b", 10)], name="pre-roll", resume=False)
    p.play(FIRST_QOE)
    p.chapter_start(1, 240, "Part one")
    p.content(60)
    p.state_start("fullscreen")
    p.content(90)
    p.bitrate(4_000_000)
    p.content(90)
    p.chapter_complete()
    p.ad_break(2, [("edge-midroll-a", 20)], name="mid-roll")
    p.chapter_start(2, 240, "Part two")
    p.content(200)
    p.state_end("fullscreen")
    p.content(40)
    p.chapter_complete()
    p.complete()


@scenario("edge-web-sdk", client=WEB_SDK)
def web_sdk(p: Player) -> None:
    """Web SDK streamingMedia: the session starts inside /ee/v1/interact (text/plain), the events go to
    /ee/va/v1/…; 5 minutes of a 7-minute VOD with a pause, buffering, a recoverable error, then the viewer
    closes the tab (sessionEnd)."""
    _vod(p, "edge-web-movie", "Edge web movie", 420)
    p.play(FIRST_QOE)
    p.content(70)
    p.pause(25)
    p.content(45)
    p.buffer(4)
    p.content(80)
    p.error("NET-1001")
    p.buffer(3)
    p.content(90)
    p.end()


@scenario("edge-location-hint", client=HINTED_SDK)
def location_hint(p: Player) -> None:
    """Edge Media SDK with a stored location hint: sessionStart and every later event go to
    /ee/va6/va/v1/…; a 4-minute clip with a mid-roll, listened to the end."""
    _vod(p, "edge-hinted-clip", "Edge hinted clip", 240)
    p.play(FIRST_QOE)
    p.content(100)
    p.ad_break(1, [("edge-hint-ad", 15)], name="mid-roll")
    p.content(140)
    p.complete()


def _twin(script: Callable[[Player], None]) -> Callable[[Player], None]:
    """A REST script played by an Edge client; its media ids end in ``-edge`` (played beside the REST one, as
    in the demo, the same visitor starting the same media twice would be session-restarted)."""

    def play(p: Player) -> None:
        p.media_suffix = "-edge" + p.media_suffix
        script(p)

    return play


scenario("edge-live", client=MEDIA_SDK, description="Edge Media SDK twin of live: " + (rest.live.__doc__ or ""))(
    _twin(rest.live))
scenario("edge-player-states", client=MEDIA_SDK,
         description="Edge Media SDK twin of player-states (stateStart/stateEnd become statesUpdate): "
         + (rest.player_states.__doc__ or ""))(_twin(rest.player_states))
scenario("edge-audio-podcast", client=WEB_SDK,
         description="Web SDK twin of audio-podcast: " + (rest.audio_podcast.__doc__ or ""))(
    _twin(rest.audio_podcast))


# ---------------------------------------------------------------------------------------- faulty
@scenario("edge-content-type", "edge-content-type", client=HAND_BUILT)
def content_type(p: Player) -> None:
    """A hand-built client posts form-encoded (Content-Type application/x-www-form-urlencoded, what curl -d
    sends): the Edge answers 415 to the sessionStart, no session exists, nothing else is sent."""
    with p.tweaked(content_type="application/x-www-form-urlencoded"):
        _vod(p, "edge-fault-ctype", "Form-encoded", 120)
        p.play(FIRST_QOE)
        p.content(60)
        p.complete()


@scenario("edge-config-id-missing", "edge-config-id-missing", timeout_rules=NEVER_PLAYED,
          client=HAND_BUILT)
def config_id_missing(p: Player) -> None:
    """A hand-built client sends configId on sessionStart only (the OpenAPI requires it there): the Edge
    answers 400 EXEG-0002-400 to every later event, so the session records nothing after its start."""
    _vod(p, "edge-fault-config", "No configId", 120)
    with p.tweaked(query=""):
        p.play(FIRST_QOE)
        p.content(60)
        p.complete()


@scenario("edge-unknown-endpoint", "edge-unknown-endpoint", client=HAND_BUILT)
def unknown_endpoint(p: Player) -> None:
    """A player ported from the REST API posts its mute state as media.stateStart to /va/v1/stateStart, which
    the Edge does not have (only statesUpdate): 404, the state is lost."""
    _vod(p, "edge-fault-endpoint", "REST state events", 120)
    p.play(FIRST_QOE)
    p.content(30)
    with p.tweaked(path="stateStart", edit=_event_type("media.stateStart")):
        p.emit("stateStart", {"media.state.name": "mute"})
    p.content(90)
    p.complete()


@scenario("edge-path-event-mismatch", "edge-path-event-mismatch", "ad-nested", "empty-ad-break", client=HAND_BUILT)
def path_event_mismatch(p: Player) -> None:
    """The /adStart page's own example: a media.adStart body posted to /va/v1/adBreakComplete. The Edge answers
    400 (path and payload eventType differ), so the ad never starts: its adComplete finds no open ad and the
    break closes empty."""
    _vod(p, "edge-fault-mismatch", "Path mismatch", 240)
    p.play(FIRST_QOE)
    p.content(60)
    p.break_start(1, "mid-roll")
    with p.tweaked(path="adBreakComplete"):
        p.emit("adStart", rest._ad_params("edge-mismatch-ad", 20))
    p.in_ad, p.ad_ping_due = True, round(p.t + 1, 3)
    p.wait(20)
    p.in_ad = False
    p.emit("adComplete")
    p.break_complete()
    p.play()
    p.content(150)
    p.complete()


@scenario("edge-request-too-large", "edge-request-too-large", client=MEDIA_SDK)
def request_too_large(p: Player) -> None:
    """sessionStart with 90 KB of custom metadata (a whole episode guide): over the Edge's 64 KB limit, 413,
    no session; the SDK never gets a session id and sends nothing more."""
    guide = {f"guide{n:03d}": "x" * 220 for n in range(400)}
    p.start(base_params(p.index, **{"media.id": "edge-fault-large", "media.length": 120}), custom=guide)
    p.play(FIRST_QOE)
    p.content(60)
    p.complete()


@scenario("edge-session-id-missing", "edge-session-id-missing", "http-rejected", "no-content-play", client=HAND_BUILT)
def session_id_missing(p: Player) -> None:
    """A hand-built client that does not queue its first events until the sessionStart answer: play and the
    first ping go out without mediaCollection.sessionID, the Edge refuses them (400), and the session it
    opened never sees a play."""
    _vod(p, "edge-fault-no-sid", "No sessionID", 120)
    with p.tweaked(session_id="omit"):
        p.play(FIRST_QOE)
        p.content(10)
    p.content(110)
    p.complete()


@scenario("edge-session-id-key", "edge-session-id-key", "http-rejected", timeout_rules=NEVER_PLAYED, client=HAND_BUILT)
def session_id_key(p: Player) -> None:
    """The client copies the answer's key and sends mediaCollection.sessionId (lower-case d) instead of
    sessionID: the Edge finds no session for any event."""
    _vod(p, "edge-fault-sid-key", "sessionId key", 120)
    with p.tweaked(edit=_rename_session_id):
        p.play(FIRST_QOE)
        p.content(60)
        p.complete()


@scenario("edge-session-id-format", "edge-session-id-format", "http-rejected", timeout_rules=NEVER_PLAYED,
          client=HAND_BUILT)
def session_id_format(p: Player) -> None:
    """The client keeps the session id in a 63-character field: every event carries a truncated sessionID
    (the Edge answers "InvalidApiSidLength=63")."""
    _vod(p, "edge-fault-sid-format", "Truncated sessionID", 120)
    with p.tweaked(edit=_truncate_session_id):
        p.play(FIRST_QOE)
        p.content(60)
        p.complete()


@scenario("edge-request-id-as-session-id", "edge-request-id-as-session-id", "edge-session-id-format", "http-rejected",
          timeout_rules=NEVER_PLAYED, client=HAND_BUILT)
def request_id_as_session_id(p: Player) -> None:
    """The client reads the answer's requestId instead of the media-analytics:new-session handle and sends
    it as sessionID ("requestId … is not the sessionID required for all other endpoints")."""
    _vod(p, "edge-fault-request-id", "requestId as sessionID", 120)
    with p.tweaked(session_id="request-id"):
        p.play(FIRST_QOE)
        p.content(60)
        p.complete()


@scenario("edge-media-collection-missing", "edge-media-collection-missing", "http-rejected", client=HAND_BUILT)
def media_collection_missing(p: Player) -> None:
    """The client's bitrate helper puts playhead, sessionID and qoeDataDetails at the xdm root instead of
    inside mediaCollection: the Edge refuses that event (400)."""
    _vod(p, "edge-fault-no-mc", "No mediaCollection", 120)
    p.play(FIRST_QOE)
    p.content(45)
    with p.tweaked(edit=_flatten_media_collection):
        p.bitrate(1_500_000)
    p.content(75)
    p.complete()


@scenario("edge-session-start-failed", "edge-session-start-failed", "session-start-required", client=MEDIA_SDK)
def session_start_failed(p: Player) -> None:
    """sessionStart without sessionDetails.name (the Android SDK test's error case): the Edge answers 207 with
    a va-edge-0400-400 error, no session exists and the SDK sends nothing more."""
    with p.tweaked(edit=_drop_session_name):
        _vod(p, "edge-fault-start", "Start refused", 120)
    p.play(FIRST_QOE)
    p.content(60)
    p.complete()


@scenario("edge-location-hint-changed", "edge-location-hint-changed", client=HINTED_SDK)
def location_hint_changed(p: Player) -> None:
    """The session starts under its stored location hint (/ee/va6/); after the app returns from the
    background it has lost the hint and sends the rest of the session to /ee/va/v1/… without one."""
    _vod(p, "edge-fault-hint", "Hint lost", 180)
    p.play(FIRST_QOE)
    p.content(60)
    p.pause(20)
    with p.tweaked(hint=""):
        p.content(100)
        p.complete()


@scenario("edge-custom-metadata-path", "edge-custom-metadata-path", client=RAW_METADATA_SDK)
def custom_metadata_path(p: Player) -> None:
    """Custom metadata sent with raw keys ("show", "campaign") as Adobe's Mobile SDKs do, not as tenant XDM
    paths (_tenant.show): kept in Analytics, lost in Experience Platform without a schema field or mapping."""
    p.start(base_params(p.index, **{"media.id": "edge-fault-metadata", "media.length": 120}),
            custom={"show": "Edge stories"})
    p.ad_break(1, [("edge-metadata-ad", 10)], name="pre-roll", resume=False)
    p.play(FIRST_QOE)
    p.content(120)
    p.complete()


@scenario("edge-session-id-on-start", "edge-session-id-on-start", client=HAND_BUILT)
def session_id_on_start(p: Player) -> None:
    """A client ported from a design with client-made ids sends its own sessionID on sessionStart ("Do not
    generate or include a session ID"); the Edge ignores it and returns its own."""
    with p.tweaked(edit=_own_session_id):
        _vod(p, "edge-fault-own-sid", "Own sessionID", 120)
    p.play(FIRST_QOE)
    p.content(120)
    p.complete()


# ---------------------------------------------------------------------------------------- request edits
def _event_type(value: str) -> Any:
    def edit(body: dict[str, Any]) -> None:
        _xdm(body)["eventType"] = value

    return edit


def _rename_session_id(body: dict[str, Any]) -> None:
    mc = _mc(body)
    mc["sessionId"] = mc.pop("sessionID")


def _truncate_session_id(body: dict[str, Any]) -> None:
    mc = _mc(body)
    mc["sessionID"] = mc["sessionID"][:63]


def _flatten_media_collection(body: dict[str, Any]) -> None:
    xdm = _xdm(body)
    xdm.update(xdm.pop("mediaCollection"))


def _drop_session_name(body: dict[str, Any]) -> None:
    del _mc(body)["sessionDetails"]["name"]


def _own_session_id(body: dict[str, Any]) -> None:
    _mc(body)["sessionID"] = "c0ffee" * 10 + "c0de"
