"""The scenarios of ``mcscope simulate``: clean playbacks and faulty ones.

Clean scenarios follow the spec to the letter (mcapi.md): they must produce no error and no warning.
Each faulty scenario lists every rule id (rules.md) it triggers at warning level or above, the fault's
consequences included (events after a 410 are event-after-gone, a session without pings also misses the
first ping); nothing else in it rises to a warning. Virtual lengths are realistic (minutes) but the number of
requests stays small, so ``--speed 0`` plays any of them in milliseconds against a local collector.
"""

from __future__ import annotations

from mcscope.sim.script import Player, base_params, scenario

FIRST_QOE = {
    "media.qoe.bitrate": 2_500_000,
    "media.qoe.framesPerSecond": 30,
    "media.qoe.droppedFrames": 0,
    "media.qoe.timeToStart": 850,
}


def _vod(p: Player, media_id: str, name: str, length: float, **over: object) -> None:
    p.start(
        base_params(p.index, **{"media.id": media_id, "media.name": name, "media.length": length, **over})
    )


# ---------------------------------------------------------------------------------------- clean
@scenario("vod-preroll-midroll")
def vod_preroll_midroll(p: Player) -> None:
    """10-minute VOD episode: 2-ad pre-roll, 1-ad mid-roll at 5:00, post-roll, a bitrate change,
    sessionComplete."""
    _vod(p, "episode-101", "Episode 101", 600)
    p.ad_break(1, [("preroll-a", 15), ("preroll-b", 10)], name="pre-roll", resume=False)
    p.play(FIRST_QOE)
    p.content(120)
    p.bitrate(4_000_000)
    p.content(180)
    p.ad_break(2, [("midroll-a", 20)], name="mid-roll")
    p.content(300)
    p.ad_break(3, [("postroll-a", 15)], name="post-roll", resume=False)
    p.complete()


@scenario("live")
def live(p: Player) -> None:
    """Live stream joined at the current second of the day: 6 minutes with an ad break, a buffering
    spell and a bitrate change, then the viewer leaves (sessionEnd)."""
    day_s = (p.t0_ms // 1000) % 86400
    p.start(
        base_params(
            p.index,
            **{
                "media.id": "live-news",
                "media.name": "News 24",
                "media.length": 86400,
                "media.contentType": "live",
            },
        ),
        playhead=float(min(day_s, 86400 - 3600)),
    )
    p.play(FIRST_QOE)
    p.content(95)
    p.buffer(3)
    p.content(60)
    p.ad_break(1, [("live-ad-a", 15), ("live-ad-b", 15)], name="live break")
    p.content(80)
    p.bitrate(1_500_000)
    p.content(90)
    p.end()


@scenario("chapters")
def chapters(p: Player) -> None:
    """6-minute VOD in three 2-minute chapters with a mid-roll between chapters 1 and 2."""
    _vod(p, "documentary-7", "Documentary 7", 360)
    p.play(FIRST_QOE)
    p.chapter_start(1, 120, "Opening")
    p.content(120)
    p.chapter_complete()
    p.ad_break(1, [("chapter-ad", 15)], name="mid-roll")
    p.chapter_start(2, 120, "Middle")
    p.content(120)
    p.chapter_complete()
    p.chapter_start(3, 120, "Ending")
    p.content(120)
    p.chapter_complete()
    p.complete()


@scenario("player-states")
def player_states(p: Player) -> None:
    """5-minute VOD with player states: fullscreen for most of it, mute for 30 s, captions for 100 s."""
    _vod(p, "trailer-3", "Trailer 3", 300)
    p.play(FIRST_QOE)
    p.content(5)
    p.state_start("fullscreen")
    p.content(55)
    p.state_start("mute")
    p.content(30)
    p.state_end("mute")
    p.content(10)
    p.state_start("closedCaptioning")
    p.content(100)
    p.state_end("closedCaptioning")
    p.content(90)
    p.state_end("fullscreen")
    p.content(10)
    p.complete()


@scenario("pause-buffer-error")
def pause_buffer_error(p: Player) -> None:
    """7-minute VOD watched for 5 minutes: a 25 s pause, buffering, bitrate changes, a recoverable error;
    the viewer then closes the player (sessionEnd)."""
    _vod(p, "movie-42", "Movie 42", 420)
    p.play(FIRST_QOE)
    p.content(60)
    p.pause(25)
    p.content(40)
    p.bitrate(1_200_000)
    p.buffer(4)
    p.bitrate(3_000_000)
    p.content(100)
    p.error("NET-1001")
    p.buffer(3)
    p.content(100)
    p.end()


@scenario("audio-podcast")
def audio_podcast(p: Player) -> None:
    """8-minute podcast episode (streamType audio): audio pre-roll, a 40 s pause, listened to the end."""
    p.start(
        base_params(
            p.index,
            **{
                "media.id": "podcast-ep-12",
                "media.name": "Podcast episode 12",
                "media.length": 480,
                "media.contentType": "podcast",
                "media.streamType": "audio",
                "media.playerName": "mcscope-audio",
            },
        )
    )
    p.ad_break(1, [("audio-preroll", 20)], name="pre-roll", resume=False)
    p.play({"media.qoe.bitrate": 128_000, "media.qoe.timeToStart": 400})
    p.content(200)
    p.pause(40)
    p.content(280)
    p.complete()


@scenario("downloaded")
def downloaded(p: Player) -> None:
    """A 4-minute film watched offline, sent afterwards as one array to /api/v1/downloaded."""
    offline = Player(p.t0_ms - 330_000, p.index)
    offline.start(
        base_params(
            p.index,
            **{
                "media.id": "offline-film",
                "media.name": "Offline film",
                "media.length": 240,
                "media.downloaded": True,
            },
        )
    )
    offline.play(FIRST_QOE)
    offline.content(240)
    offline.complete()
    p.add([step.body for step in offline.steps], endpoint="downloaded")


# ---------------------------------------------------------------------------------------- faulty
@scenario("ad-outside-break", "ad-outside-break")
def ad_outside_break(p: Player) -> None:
    """An ad sent without adBreakStart/adBreakComplete: Adobe ignores it and counts its 20 s as content."""
    _vod(p, "fault-ad-outside", "Ad outside break", 300)
    p.play(FIRST_QOE)
    p.content(100)
    p.emit(
        "adStart",
        {
            "media.ad.id": "lonely-ad",
            "media.ad.length": 20,
            "media.ad.podPosition": 1,
            "media.ad.playerName": "ads",
        },
    )
    p.state = "paused"  # playhead frozen while the ad plays
    p.main_ping_due = None
    p.in_ad, p.ad_ping_due = True, round(p.t + 1, 3)
    p.wait(20)
    p.in_ad = False
    p.emit("adComplete")
    p.play()
    p.content(200)
    p.complete()


@scenario("missing-pings", "ping-interval")
def missing_pings(p: Player) -> None:
    """Pings stop for 40 s in the middle of content (timer throttled in a background tab)."""
    _vod(p, "fault-missing-pings", "Missing pings", 240)
    p.play(FIRST_QOE)
    p.content(80)
    p.pings = False
    p.content(40)
    p.pings = True
    p.main_ping_due = round(p.t + 10, 3)
    p.content(120)
    p.complete()


@scenario("no-pings", "no-pings", "ping-first-late", "ping-interval")
def no_pings(p: Player) -> None:
    """A 2-minute clip sent without a single ping."""
    _vod(p, "fault-no-pings", "No pings", 120)
    p.pings = False
    p.play(FIRST_QOE)
    p.content(60)
    p.pause(5)
    p.content(60)
    p.complete()


@scenario("ts-seconds", "ts-units")
def ts_seconds(p: Player) -> None:
    """playerTime.ts sent in seconds instead of milliseconds."""
    p.ts_divisor = 1000
    _vod(p, "fault-ts-seconds", "ts in seconds", 120)
    p.play(FIRST_QOE)
    p.content(120)
    p.complete()


@scenario("playhead-ms", "playhead-units", "playhead-beyond-length")
def playhead_ms(p: Player) -> None:
    """playerTime.playhead sent in milliseconds instead of seconds."""
    p.playhead_factor = 1000.0
    _vod(p, "fault-playhead-ms", "Playhead in ms", 180)
    p.play(FIRST_QOE)
    p.content(120)
    p.complete()


@scenario("event-after-end", "event-after-end", "session-gone", "event-after-gone")
def event_after_end(p: Player) -> None:
    """The player keeps sending play and pings after sessionEnd (the collector answers 410, data lost)."""
    _vod(p, "fault-after-end", "Events after end", 300)
    p.play(FIRST_QOE)
    p.content(60)
    p.end()
    p.play()
    p.content(30)


@scenario("idle-timeout", "session-timeout-idle", "session-gone", "event-after-gone")
def idle_timeout(p: Player) -> None:
    """The app goes to the background for 11 minutes without pausing or pinging, then resumes on the same
    sid: the collector closed the session after 10 minutes and drops everything after the gap."""
    _vod(p, "fault-idle", "Idle timeout", 600)
    p.play(FIRST_QOE)
    p.content(60)
    p.pings = False
    p.state = "paused"
    p.wait(660)
    p.pings = True
    p.main_ping_due = round(p.t + 10, 3)
    p.play()
    p.content(30)
    p.complete()


@scenario("paused-too-long", "session-timeout-playhead", "session-gone", "event-after-gone")
def paused_too_long(p: Player) -> None:
    """Paused for 31 minutes with pings: the playhead does not move for 30 minutes, so the collector
    closes the session; the play after the pause is dropped."""
    _vod(p, "fault-long-pause", "Paused too long", 300)
    p.play(FIRST_QOE)
    p.content(30)
    p.pause(31 * 60)
    p.content(20)
    p.complete()


@scenario("missing-start-params", "session-start-required", "http-rejected")
def missing_start_params(p: Player) -> None:
    """sessionStart without media.channel and media.playerName: the collector answers 400, no session."""
    params = base_params(p.index, **{"media.id": "fault-missing-params", "media.length": 120})
    del params["media.channel"], params["media.playerName"]
    p.start(params)
    p.play(FIRST_QOE)
    p.content(30)


@scenario("wrong-types", "param-type", "http-rejected")
def wrong_types(p: Player) -> None:
    """sessionStart with media.length as a string and analytics.enableSSL as "true": 400, no session."""
    p.start(
        base_params(
            p.index,
            **{"media.id": "fault-wrong-types", "media.length": "600", "analytics.enableSSL": "true"},
        )
    )
    p.play(FIRST_QOE)
    p.content(30)


@scenario(
    "bad-envelope",
    "body-not-json",
    "playhead-type",
    "ts-type",
    "event-type-unknown",
    "qoe-unknown-key",
    "unknown-top-level-key",
    "http-rejected",
)
def bad_envelope(p: Player) -> None:
    """A session whose player sends malformed events (each answered 400): a body that is not JSON, playhead
    as a string, ts as a float, eventType "pause", a bare qoeData "bitrate" key, an unknown top-level key."""
    _vod(p, "fault-envelope", "Bad envelope", 120)
    p.play(FIRST_QOE)
    p.content(5)
    bad = [
        lambda: b"eventType=ping&playhead=10",
        lambda: p.body("ping", playhead="12"),  # type: ignore[arg-type]
        lambda: {"playerTime": {"playhead": round(p.playhead, 3), "ts": p.ts + 0.5}, "eventType": "ping"},
        lambda: p.body("pause"),
        lambda: p.body("bitrateChange", qoe={"bitrate": 2000}),
        lambda: {**p.body("ping"), "sessionId": "abc"},
    ]
    for make in bad:
        p.wait(0.5)
        p.add(make())
    p.content(112)
    p.complete()


@scenario("abandoned", "session-not-closed", timeout_rules=("no-content-play",))
def abandoned(p: Player) -> None:
    """The viewer closes the tab during the pre-roll: no play, no sessionComplete, no sessionEnd. Judged at
    the end of its own capture this is session-not-closed; once the capture runs past the idle timeout the
    session times out and no-content-play is reported as well."""
    _vod(p, "fault-abandoned", "Abandoned", 600)
    p.break_start(1, "pre-roll")
    p.ad("preroll-abandoned", 15, 1)
    p.emit("adStart", {**_ad_params("preroll-abandoned-2", 15), "media.ad.podPosition": 2})
    p.in_ad, p.ad_ping_due = True, round(p.t + 1, 3)
    p.wait(4.5)


@scenario("drop-before-start", "no-content-play")
def drop_before_start(p: Player) -> None:
    """The viewer gives up during the pre-roll and the player ends the session before any content play."""
    _vod(p, "fault-drop", "Drop before start", 600)
    p.break_start(1, "pre-roll")
    p.ad("preroll-drop", 15, 1)
    p.break_complete()
    p.end()


@scenario("play-before-preroll", "play-before-preroll")
def play_before_preroll(p: Player) -> None:
    """play is sent before the pre-roll break (inflates content starts)."""
    _vod(p, "fault-play-preroll", "Play before pre-roll", 120)
    p.emit("play", qoe=FIRST_QOE)
    p.ad_break(1, [("preroll-x", 15)], name="pre-roll")
    p.content(120)
    p.complete()


@scenario("no-play-after-break", "no-play-after-ad-break")
def no_play_after_break(p: Player) -> None:
    """After a mid-roll the player goes on pinging content without sending play first."""
    _vod(p, "fault-no-play", "No play after break", 240)
    p.play(FIRST_QOE)
    p.content(100)
    p.ad_break(1, [("midroll-x", 15)], name="mid-roll", resume=False)
    p.main_ping_due = round(p.t + 10, 3)
    p.content(140)
    p.complete()


@scenario("playhead-moves-in-break", "playhead-moved-in-break")
def playhead_moves_in_break(p: Player) -> None:
    """During a mid-roll the player reports the ad's own playhead instead of the frozen content position."""
    _vod(p, "fault-break-playhead", "Playhead moves in break", 240)
    p.play(FIRST_QOE)
    p.content(100)
    position = p.playhead
    p.break_start(1, "mid-roll")
    p.emit("adStart", _ad_params("midroll-moving", 10))
    for second in range(1, 10):
        p.wait(1)
        p.emit("ping", playhead=float(second))
    p.wait(1)
    p.emit("adComplete", playhead=10.0)
    p.break_complete()
    p.playhead = position
    p.play()
    p.content(140)
    p.complete()


@scenario("ts-duplicate", "ts-duplicate")
def ts_duplicate(p: Player) -> None:
    """adBreakStart and adStart sent with the same ts (the collector cannot order them)."""
    _vod(p, "fault-ts-dup", "Duplicate ts", 120)
    p.play(FIRST_QOE)
    p.content(60)
    p.break_start(1, "mid-roll")
    p.add(p.body("adStart", _ad_params("dup-ad", 10), ts=p.ts))
    p.in_ad, p.ad_ping_due = True, round(p.t + 1, 3)
    p.wait(10)
    p.in_ad = False
    p.emit("adComplete")
    p.break_complete()
    p.play()
    p.content(60)
    p.complete()


@scenario("unknown-sid", "session-gone", "no-session-start", "event-after-gone")
def unknown_sid(p: Player) -> None:
    """A player reuses a sid the collector does not know (from an old session): every event gets 404."""
    stale = "0123456789abcdef" * 4
    p.started = True
    p.playhead = 42.0
    p.state = "playing"
    p.emit("play", sid=stale)
    for _ in range(3):
        p.wait(10)
        p.emit("ping", sid=stale)
    p.emit("sessionEnd", sid=stale)


@scenario("downloaded-bad", "downloaded-format", "http-rejected")
def downloaded_bad(p: Player) -> None:
    """A downloaded batch whose first event is play instead of sessionStart: the whole batch is rejected."""
    offline = Player(p.t0_ms - 200_000, p.index)
    offline.start(base_params(p.index, **{"media.id": "fault-offline", "media.length": 120}))
    offline.play(FIRST_QOE)
    offline.content(120)
    offline.complete()
    bodies = [step.body for step in offline.steps]
    p.add([bodies[1], bodies[0], *bodies[2:]], endpoint="downloaded")


@scenario("legacy-downloaded", "downloaded-legacy", "http-rejected")
def legacy_downloaded(p: Player) -> None:
    """A downloaded batch posted to /api/v1/sessions without media.downloaded true (400)."""
    offline = Player(p.t0_ms - 200_000, p.index)
    offline.start(base_params(p.index, **{"media.id": "fault-legacy-offline", "media.length": 120}))
    offline.play(FIRST_QOE)
    offline.content(120)
    offline.complete()
    p.add([step.body for step in offline.steps], endpoint="sessions")


@scenario("bitrate-kbps", "bitrate-units")
def bitrate_kbps(p: Player) -> None:
    """Bitrate reported in kbps (2500) where the MC API expects bps."""
    _vod(p, "fault-kbps", "Bitrate in kbps", 120)
    p.play({**FIRST_QOE, "media.qoe.bitrate": 2500})
    p.content(60)
    p.bitrate(4000)
    p.content(60)
    p.complete()


@scenario("chapter-overlap", "chapter-nested")
def chapter_overlap(p: Player) -> None:
    """A new chapter starts while the previous one is still open."""
    _vod(p, "fault-chapters", "Overlapping chapters", 240)
    p.play(FIRST_QOE)
    p.chapter_start(1, 120, "One")
    p.content(120)
    p.chapter_start(2, 120, "Two")
    p.content(120)
    p.chapter_complete()
    p.complete()


@scenario("state-redundant", "state-redundant")
def state_redundant(p: Player) -> None:
    """stateStart for a state that is already active, stateEnd for one that is not."""
    _vod(p, "fault-states", "Redundant states", 120)
    p.play(FIRST_QOE)
    p.content(10)
    p.state_start("mute")
    p.content(20)
    p.state_start("mute")
    p.content(20)
    p.state_end("mute")
    p.content(10)
    p.state_end("fullscreen")
    p.content(60)
    p.complete()


def _ad_params(ad_id: str, length: float) -> dict[str, object]:
    return {
        "media.ad.id": ad_id,
        "media.ad.length": length,
        "media.ad.podPosition": 1,
        "media.ad.playerName": "ads",
    }
