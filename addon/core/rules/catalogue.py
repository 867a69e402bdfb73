"""The rule catalogue of ``shared/spec/rules.md`` as data: ids, default severities, descriptions.

Rule ids are a public interface (reports, JUnit, ``--ignore``, the GUI): never change their meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mcscope.core.model import Severity


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: str
    severity: Severity
    family: str
    description: str
    ref: str
    ignored: bool = False
    consequence: str | None = None
    edge_severity: Severity | None = None  # the Media Edge API default (media-edge.md §3); None: not applied on Edge
    rest: bool = True  # False: an edge-* rule, judged on Media Edge API traffic only

    def severity_for(self, protocol: str) -> Severity | None:
        """The default severity on ``protocol`` ("rest" or "edge"); None where the rule does not apply there."""
        if protocol == "edge":
            return self.edge_severity
        return self.severity if self.rest else None


_S = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}

_TABLE: tuple[tuple[str, str, str, str, str, str | None], ...] = (
    ('http-method', 'error', 'transport', 'not POST on a collection endpoint (OPTIONS preflight and GET /api/v1/schemas/* are fine)', 'R1', None),
    ('body-not-json', 'error', 'transport', 'body is not UTF-8 JSON', 'R2', None),
    ('body-not-object', 'error', 'transport', 'JSON body is not an object (an array is valid only on /api/v1/downloaded)', 'R2', None),
    ('body-not-captured', 'warning', 'transport', 'the proxy did not keep the body (streamed / truncated): nothing can be judged', '—', None),
    ('content-type', 'warning', 'transport', 'Content-Type is not application/json', 'R3', None),
    ('sessions-wrong-event', 'error', 'transport', '/api/v1/sessions body with eventType other than sessionStart', 'R4', None),
    ('session-start-on-events', 'error', 'transport', 'sessionStart posted to /sessions/{sid}/events', 'R5', None),
    ('location-missing', 'error', 'transport', '201 from /sessions without a Location matching ^/api/[^/]+/sessions/[^/]+$', 'R8', None),
    ('cors-expose-location', 'info', 'transport', '201 from /sessions without Access-Control-Expose-Headers naming Location (browser players cannot read the sid)', 'R7', None),
    ('http-rejected', 'error', 'transport', 'server answered 400; show the response message', 'R9', 'dropped: the collector rejected the request (400)'),
    ('session-gone', 'error', 'transport', 'server answered 404 or 410 to an event; every later event on that sid is event-after-gone', 'R10', 'dropped: the collector no longer knows this session'),
    ('event-after-gone', 'error', 'transport', 'event on a sid the server already answered 404/410 for', 'R10', 'dropped: the session is gone (404/410)'),
    ('server-error', 'warning', 'transport', 'server answered 5xx; the event is probably lost', 'R11', None),
    ('no-response', 'warning', 'transport', 'the exchange failed (connection error, timeout): the event is probably lost', 'R11', None),
    ('unknown-host', 'info', 'transport', 'host does not end in .hb-api.omtrdc.net (custom CNAME or a test endpoint)', 'R6', None),
    ('unknown-top-level-key', 'error', 'envelope', 'a top-level key other than playerTime, eventType, params, qoeData, customMetadata', 'R12', None),
    ('player-time-invalid', 'error', 'envelope', 'playerTime missing, not an object, without playhead or ts, or with other keys', 'R13', None),
    ('playhead-type', 'error', 'envelope', 'playhead is not a JSON number (booleans and strings are not numbers)', 'R14', None),
    ('playhead-negative', 'warning', 'envelope', 'playhead < 0', 'R14', None),
    ('ts-type', 'error', 'envelope', 'ts is not a JSON integer', 'R15', None),
    ('ts-units', 'warning', 'envelope', 'ts < 1e12 (looks like seconds) or > 1e14 (looks like micro-seconds)', 'R16', None),
    ('clock-skew', 'warning', 'envelope', 'live capture only: ts differs from the time the proxy saw the request by more than *10 min*', 'R16', None),
    ('event-type-unknown', 'error', 'envelope', 'eventType missing, not a string, or not one of the 20 known types', 'R17', None),
    ('params-missing', 'error', 'envelope', 'params missing or not an object on sessionStart, adBreakStart, adStart, chapterStart, stateStart, stateEnd, statesUpdate', 'R18', None),
    ('params-unexpected', 'warning', 'envelope', 'non-empty params on an event that takes none (play, pauseStart, bufferStart, bitrateChange, adComplete, adSkip, adBreakComplete, chapterComplete, chapterSkip, sessionComplete, sessionEnd)', 'R27', None),
    ('ping-params', 'warning', 'envelope', 'ping with non-empty params (an empty {} is tolerated)', 'R19', None),
    ('param-type', 'warning', 'envelope', 'a known parameter has the wrong JSON type (e.g. media.length as a string, analytics.enableSSL as "true")', 'R25', None),
    ('param-unknown', 'warning', 'envelope', 'unknown params key on sessionStart (its schema is closed; custom data belongs in customMetadata)', 'R26', None),
    ('custom-metadata-placement', 'warning', 'envelope', 'customMetadata on an event other than sessionStart, adStart, chapterStart', 'R20', None),
    ('custom-metadata-format', 'error', 'envelope', 'customMetadata not a flat object of strings, or a key not matching ^[a-zA-Z0-9_.]+$', 'R21', None),
    ('custom-metadata-reserved', 'error', 'envelope', 'key starting with a.; (warning) key starting with media.', 'R22', None),
    ('qoe-unknown-key', 'error', 'envelope', 'qoeData key outside the documented media.qoe.* set (e.g. bare bitrate)', 'R23', None),
    ('qoe-type', 'error', 'envelope', 'media.qoe.bitrate, droppedFrames, framesPerSecond, timeToStart not integers', 'R24', None),
    ('session-start-required', 'error', 'session-start', 'a required parameter is missing or empty (see mcapi.md §4)', 'R28', None),
    ('media-length-nonpositive', 'warning', 'session-start', 'media.length ≤ 0', 'R29', None),
    ('live-length', 'info', 'session-start', 'live/linear content whose media.length is neither 86400 nor a plausible show length', 'R30', None),
    ('content-type-unusual', 'info', 'session-start', 'media.contentType not in the recommended list', 'R31', None),
    ('stream-type', 'warning', 'session-start', 'media.streamType missing or not audio/video', 'R32', None),
    ('no-visitor-identity', 'warning', 'session-start', 'neither visitor.marketingCloudUserId nor appInstallationId', 'R33', None),
    ('app-installation-id-changed', 'warning', 'session-start', 'appInstallationId differs between sessions of the same client', 'R34', None),
    ('customer-ids-format', 'warning', 'session-start', 'a visitor.customerIDs entry without a string id, or authState not 0/1/2', 'R35', None),
    ('resume-unflagged', 'info', 'session-start', 'VOD sessionStart with playhead > 0 and no media.resume: true', 'R36', None),
    ('show-type', 'warning', 'session-start', 'media.showType not one of "0".."3"', 'R37', None),
    ('no-session-start', 'warning', 'lifecycle', "events on a sid whose sessionStart/201 was not captured (info when the capture began after the sid's first event could have been sent)", 'R38', None),
    ('event-after-end', 'error', 'lifecycle', 'any event after sessionEnd on the same sid (a repeated sessionEnd is info)', 'R39', 'dropped: session ended'),
    ('event-after-complete', 'warning', 'lifecycle', 'after sessionComplete, an event other than ping/sessionEnd', 'R40', None),
    ('session-timeout-idle', 'error', 'lifecycle', 'gap of more than *10 min* between consecutive events; the session was closed and every later event is dropped (an event exactly 10 min later is still accepted)', 'R41', 'dropped: session closed after 10 min without events'),
    ('session-timeout-playhead', 'error', 'lifecycle', "playhead unchanged for more than *30 min* of ts; later events are dropped. An event at exactly 30 min is still accepted — Adobe's SDKs send their sessionEnd at that instant, which is the remedy R42 asks for", 'R42', 'dropped: session closed after 30 min without playhead movement'),
    ('session-too-old', 'warning', 'lifecycle', 'session older than *24 h* (strictly: every timeout boundary in this catalogue is "more than", never "at least")', 'R43', None),
    ('session-restarted', 'warning', 'lifecycle', 'a new sessionStart for the same media.id from the same client while the earlier session is still open', 'R44', None),
    ('session-not-closed', 'info', 'lifecycle', 'at capture end the session has neither sessionComplete nor sessionEnd and is still inside its timeout window', 'R45, R46', None),
    ('ts-duplicate', 'info', 'timestamps', "two consecutive events of a sid with the same ts. Info, not warning: Adobe's own SDKs stamp every event of one player action with one ts (e.g. adBreakComplete + play, adComplete + adBreakComplete) and arrival order then decides; the order problem proper is ts-backwards / arrival-out-of-order", 'R47', None),
    ('ts-backwards', 'warning', 'timestamps', "ts lower than the previous event's of the sid", 'R48', None),
    ('arrival-out-of-order', 'warning', 'timestamps', "requests arrive out of ts order beyond the server's reorder window (*5 s* or *10 events*)", 'R48', None),
    ('queued-restamped', 'warning', 'timestamps', 'burst of events with near-identical ts right after the 201: queued events re-stamped at send time', 'R49', None),
    ('long-gap', 'info', 'timestamps', 'gap ≥ *60 s* between consecutive events (but under the idle timeout)', 'R50', None),
    ('ping-first-late', 'warning', 'pings', 'during main content, more than *10 s* + *tolerance 2 s* pass after playback start with no event at all (a play, pauseStart … in between restarts the timer, see below)', 'R51', None),
    ('ping-interval', 'warning', 'pings', 'during main content, more than *10 s* + *2 s* since the previous event **of any type** (pings are due while paused and buffering too); pings less than *10 s* − *2 s* apart are reported once per session at info level', 'R51', None),
    ('ad-ping-interval', 'info', 'pings', 'ping interval during an ad above the *ad ping interval (1 s)* + tolerance (anything up to 10 s is accepted by the server)', 'R52', None),
    ('no-pings', 'warning', 'pings', 'a session lasting more than 10 s without any ping', 'R53', None),
    ('ad-no-pings', 'warning', 'pings', "an ad that lasted more than the *maximum accepted ad ping interval (10 s)* + tolerance without any ping (shorter ads without a ping are accepted: R52 allows 1–10 s and Adobe's SDKs default to 10 s)", 'R72', None),
    ('no-content-play', 'warning', 'playback', 'the session closes without a play on main content (a "drop before start")', 'R54', None),
    ('play-before-preroll', 'warning', 'playback', 'play sent before a pre-roll ad break (inflates content starts)', 'R55', None),
    ('playhead-moved-while-paused', 'warning', 'playback', "while paused or buffering, an event before the next play (a ping, …) reports a playhead that advanced. The play that ends the pause may carry a new playhead: that is a seek (R58: Adobe's SDKs report a seek as pauseStart … play), not a finding", 'R56', None),
    ('stall', 'warning', 'playback', 'playing, yet the playhead is unchanged over 3+ consecutive events (Adobe counts a stall)', 'R57', None),
    ('no-play-after-ad-break', 'warning', 'playback', 'after adBreakComplete, no play before the next content ping', 'R59', None),
    ('redundant-state-event', 'warning', 'playback', 'pauseStart/bufferStart repeated without a play in between', 'R60', None),
    ('playhead-units', 'warning', 'playback', 'the playhead moves about 1000× faster than ts (milliseconds sent as seconds)', 'R14', None),
    ('playhead-beyond-length', 'warning', 'playback', 'VOD playhead greater than media.length + 1 s', '—', None),
    ('ad-outside-break', 'error', 'ads', "adStart, adComplete or adSkip outside an open adBreakStart … adBreakComplete: Adobe ignores it and counts the ad's time as main content", 'R61', 'ad ignored, ad time counted as main content'),
    ('ad-break-start-params', 'error', 'ads', 'adBreakStart without integer media.ad.podIndex or numeric media.ad.podSecond', 'R62', None),
    ('ad-start-params', 'error', 'ads', 'adStart without media.ad.id, media.ad.length, media.ad.podPosition, media.ad.playerName', 'R63', None),
    ('ad-break-nested', 'warning', 'ads', 'adBreakStart while a break is open; adBreakComplete with none open', 'R64', None),
    ('ad-nested', 'warning', 'ads', 'adStart while an ad is open; adComplete/adSkip inside a break with no open ad', 'R65', None),
    ('event-before-first-ad', 'warning', 'ads', 'play, pauseStart or bufferStart between adBreakStart and its first adStart', 'R66', None),
    ('playhead-moved-in-break', 'warning', 'ads', 'playhead changes during an ad break', 'R67', None),
    ('pod-second-mismatch', 'warning', 'ads', 'media.ad.podSecond differs from the playhead at adBreakStart by more than 1 s', 'R68', None),
    ('ad-break-open-at-end', 'warning', 'ads', 'an ad break still open at sessionComplete/sessionEnd', 'R69', None),
    ('empty-ad-break', 'warning', 'ads', 'an ad break closed without any adStart', '—', None),
    ('pod-numbering', 'info', 'ads', 'podIndex/podPosition below 1, or a podIndex reused for another break', 'R70', None),
    ('ad-break-keys-on-ad', 'info', 'ads', 'ad-break keys (media.ad.podFriendlyName …) on adStart', 'R71', None),
    ('gap-between-ads', 'info', 'ads', 'main-content play between two ads of one break', 'mcapi.md §11.3', None),
    ('chapter-start-params', 'error', 'chapters', 'chapterStart without integer media.chapter.index or numeric offset/length', 'R73', None),
    ('chapter-nested', 'warning', 'chapters', 'chapterStart while a chapter is open', 'R74', None),
    ('chapter-unopened', 'warning', 'chapters', 'chapterComplete/chapterSkip with no open chapter', 'R75', None),
    ('chapter-open-at-end', 'warning', 'chapters', 'a chapter still open at session close', 'R75', None),
    ('chapter-offset-mismatch', 'info', 'chapters', 'media.chapter.offset differs from the playhead by more than 1 s', 'R76', None),
    ('state-params', 'error', 'states', 'stateStart/stateEnd without a string media.state.name; malformed statesUpdate arrays', 'R77', None),
    ('state-limit', 'warning', 'states', 'more than 10 distinct state names in a session (only the first 10 are kept)', 'R78', None),
    ('state-redundant', 'warning', 'states', 'stateStart of an active state; stateEnd of an inactive one', 'R79', None),
    ('state-name-format', 'warning', 'states', 'name not matching ^[a-zA-Z0-9_.]{1,64}$ (info: mixed fullscreen/fullScreen)', 'R80', None),
    ('bitrate-missing', 'warning', 'qoe', 'bitrateChange without qoeData["media.qoe.bitrate"]', 'R82', None),
    ('dropped-frames-decrease', 'warning', 'qoe', 'media.qoe.droppedFrames decreases (it is cumulative)', 'R83', None),
    ('time-to-start-changed', 'warning', 'qoe', 'media.qoe.timeToStart changes after the first content play', 'R84', None),
    ('bitrate-units', 'info', 'qoe', 'media.qoe.bitrate < 10000 (looks like kbps)', 'R85', None),
    ('error-without-id', 'info', 'qoe', 'error without an error id and source', 'R86', None),
    ('error-not-followed', 'info', 'qoe', 'error followed by neither play nor sessionEnd', 'R87', None),
    ('downloaded-format', 'error', 'downloaded', '/api/v1/downloaded body not an array of event objects starting with sessionStart, or out of ts order (the whole batch is discarded)', 'R88', 'dropped: the whole batch is discarded'),
    ('downloaded-legacy', 'warning', 'downloaded', 'array body on /api/v1/sessions (deprecated), 400 without media.downloaded: true', 'R89', None),
    ('downloaded-flag-realtime', 'error', 'downloaded', 'media.downloaded: true on a real-time session', 'R90', None),
    ('downloaded-not-closed', 'info', 'downloaded', 'batch without sessionComplete/sessionEnd', 'R91', None),
)

#: Rules mcscope defines itself, about a capture rather than about Adobe's API: not in rules.md (their ref is
#: "mcscope"; tests/core/test_spec.py checks they stay out of rules.md and everything else stays in it).
_MCSCOPE_TABLE: tuple[tuple[str, str, str, str, str, str | None], ...] = (
    ('differs-from-reference', 'error', 'reference', 'mcscope check --expect: the session differs from its reference session beyond the tolerances (an event missing, extra, reordered or changed, other findings or metrics), or has no reference session', 'mcscope', None),
)

#: The ids of :data:`_MCSCOPE_TABLE`.
MCSCOPE_DEFINED: frozenset[str] = frozenset(row[0] for row in _MCSCOPE_TABLE)

RULES: dict[str, RuleInfo] = {
    rid: RuleInfo(rid, _S[sev], family, description, ref, consequence is not None, consequence)
    for rid, sev, family, description, ref, consequence in _TABLE + _MCSCOPE_TABLE
}

FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(info.family for info in RULES.values()))

# --- Media Edge API (rules.md §13 = media-edge.md §3) ----------------------------------------------------------
# The edge-* rules: (id, Edge severity, family, condition, ref, consequence when ignored).
_EDGE_TABLE: tuple[tuple[str, str, str, str, str, str | None], ...] = (
    ('edge-content-type', 'error', 'transport', 'Content-Type not application/json, text/plain, application/x-jackson-smile, text/javascript (→ 415). Do **not** apply REST content-type (Web SDK legitimately sends text/plain)', '`[DCA-TS]` `[ALLOY-FETCH]`', None),
    ('edge-config-id-missing', 'error', 'transport', 'no configId query parameter (→ EXEG-0002-400); also surface 0003-400/0004-422 answers', '`[OAS]` `[DCA-TS]`', None),
    ('edge-unknown-endpoint', 'error', 'transport', '/va/v1/{x} with x not one of the 18 + downloaded', '`[OAS]`', None),
    ('edge-path-event-mismatch', 'error', 'transport', 'path segment ≠ xdm.eventType minus media. (incl. doc typo media.adBreakSkip)', '`[CJA-TS]` `[OAS]`', 'dropped: the Edge answers 400 when the path and the payload eventType differ'),
    ('edge-request-too-large', 'error', 'transport', 'body > 64 KB (→ 0112-413)', '`[DCA-GR]` `[DCA-TS]`', None),
    ('edge-events-count', 'info', 'transport', 'a /va/v1 request whose events[] length ≠ 1', '`[ALLOY-NET]` comment; UNCONFIRMED', None),
    ('edge-session-start-failed', 'error', 'transport', 'sessionStart answered 207 with errors[] of type va-edge-0400-400 (no session; SDKs abort, every later event of that player is lost)', '`[OAS]` `[EMA-RTS]` `[ROKU]`', 'dropped: the Edge refused the sessionStart (207 va-edge-0400-400); no session exists'),
    ('edge-upstream-warning', 'warning', 'transport', '207 with other errors[]/warnings[] (e.g. EXEG-0201-503, 0204-200); Adobe: continue processing the session', '`[DCA-TS]` `[CJA-TS]`', None),
    ('edge-session-handle-missing', 'error', 'transport', '200 sessionStart (or media interact) response without a media-analytics:new-session handle or with an empty sessionId (datastream lacks Media Analytics)', '`[DCA-SESS]` `[ROKU]`', None),
    ('edge-rate-limited', 'warning', 'transport', '429 (show Retry-After)', '`[DCA-TS]`', None),
    ('edge-location-hint-changed', 'warning', 'transport', 'within one session, events sent under a different /ee/{hint}/ (or none) than the hint returned/used at sessionStart', '`[DCA-IDX]` `[DCA-LH]`', None),
    ('edge-consent-ignored', 'warning', 'transport', 'response carries EXEG-0301-200 "request was ignored due to lack of user consent"', '`[DCA-TS]`', None),
    ('edge-media-collection-missing', 'error', 'envelope', 'xdm.mediaCollection missing / not an object', '`[OAS]`', 'dropped: the Edge answers 400 without mediaCollection'),
    ('edge-session-id-missing', 'error', 'envelope', 'event other than sessionStart/downloaded without mediaCollection.sessionID', '`[OAS]` `[DCA-*]`', 'dropped: an event without a sessionID belongs to no session'),
    ('edge-session-id-key', 'error', 'envelope', 'id sent as sessionId, sessionDetails.ID, or at xdm root instead of mediaCollection.sessionID', '`[DCA-SESS]` `[XDM-SD]`', None),
    ('edge-session-id-format', 'warning', 'envelope', 'sessionID not 64 lowercase hex (back end hint InvalidApiSidLength=63)', '`[OAS]`', None),
    ('edge-request-id-as-session-id', 'error', 'envelope', 'sessionID equals a requestId seen in an earlier response', '`[DCA-SESS]`', None),
    ('edge-session-id-on-start', 'warning', 'envelope', 'sessionID on sessionStart or inside mediaDownloadedEvents ("Do not generate or include a session ID")', '`[DCA-DL]`', None),
    ('edge-enum-value', 'error', 'envelope', 'streamType ∉ {video, audio}; errorDetails.source ∉ {player, external}; authenticatedState ∉ {ambiguous, authenticated, loggedOut}', '`[XDM-SD]` `[XDM-ERR]` `[OAS]`', None),
    ('edge-custom-metadata-path', 'info', 'envelope', 'name not a tenant path (_tenant.…): kept in Analytics, lost in AEP unless schema/mapping exists', '`[DCA-IDX]` `[MA-CM]`', None),
    ('edge-time-to-start-units', 'info', 'envelope', 'show timeToStart with both readings (s per XDM/OpenAPI, ms per variable page)', '`[XDM-QOE]` `[MA-TTS]`', None),
    ('edge-media-via-interact', 'info', 'transport', 'non-sessionStart media.* events inside /v1/interact (Web sendEvent style)', '`[MA-PING]` `[EP-SME]` UNCONFIRMED', None),
)

# Rules of rules.md §1-§12 that keep their meaning on Edge -> their Edge default severity (media-edge.md §3
# tables; the §3.4 "reuse unchanged" list and "as REST" rows keep the REST severity). A rule not listed here
# does not apply to Edge traffic (media-edge.md §3 "Not applicable on Edge", and show-type / error-without-id).
_EDGE_SEVERITIES: dict[str, str] = {
    # §3.1 transport
    'http-method': 'error', 'body-not-json': 'error', 'body-not-object': 'error', 'http-rejected': 'error',
    'session-gone': 'error', 'event-after-gone': 'error', 'server-error': 'warning', 'no-response': 'warning',
    'unknown-host': 'info',
    # §3.2 envelope and types
    'event-type-unknown': 'error', 'player-time-invalid': 'error', 'playhead-type': 'error',
    'playhead-negative': 'error', 'ts-type': 'error', 'clock-skew': 'warning', 'params-missing': 'error',
    'params-unexpected': 'warning', 'param-type': 'error', 'param-unknown': 'warning',
    'custom-metadata-placement': 'warning', 'custom-metadata-format': 'error', 'qoe-unknown-key': 'error',
    'qoe-type': 'error', 'bitrate-units': 'info',
    # §3.3 sessionStart content, identity
    'session-start-required': 'error', 'stream-type': 'warning', 'no-visitor-identity': 'warning',
    'customer-ids-format': 'warning',
    # §3.4 reused with an Edge-specific condition
    'ad-break-start-params': 'error', 'ad-start-params': 'error', 'chapter-start-params': 'error',
    'pod-second-mismatch': 'warning', 'chapter-offset-mismatch': 'info', 'pod-numbering': 'info',
    'state-params': 'error', 'bitrate-missing': 'warning', 'ping-first-late': 'warning', 'ping-interval': 'warning',
    'no-pings': 'warning', 'ad-no-pings': 'warning', 'ad-ping-interval': 'info', 'downloaded-format': 'error',
    'downloaded-flag-realtime': 'info',
}
# §3.3 "as REST" and §3.4 "Reuse unchanged": the REST severity on both protocols.
EDGE_AS_REST: tuple[str, ...] = (
    'media-length-nonpositive', 'live-length', 'content-type-unusual', 'resume-unflagged',
    'no-session-start', 'event-after-end', 'event-after-complete', 'session-timeout-idle',
    'session-timeout-playhead', 'session-too-old', 'session-restarted', 'session-not-closed', 'ts-duplicate',
    'ts-backwards', 'arrival-out-of-order', 'queued-restamped', 'long-gap', 'no-content-play',
    'play-before-preroll', 'playhead-moved-while-paused', 'stall', 'no-play-after-ad-break',
    'redundant-state-event', 'playhead-units', 'playhead-beyond-length', 'ad-outside-break', 'ad-break-nested',
    'ad-nested', 'event-before-first-ad', 'playhead-moved-in-break', 'ad-break-open-at-end', 'empty-ad-break',
    'gap-between-ads', 'chapter-nested', 'chapter-unopened', 'chapter-open-at-end', 'state-limit',
    'state-redundant', 'state-name-format', 'dropped-frames-decrease', 'time-to-start-changed',
    'error-not-followed', 'downloaded-not-closed',
    'body-not-captured',  # not in §3: mcscope's own (the proxy did not keep the body), as on REST
)

for _rid, _sev in _EDGE_SEVERITIES.items():
    RULES[_rid] = replace(RULES[_rid], edge_severity=_S[_sev])
for _rid in EDGE_AS_REST:
    RULES[_rid] = replace(RULES[_rid], edge_severity=RULES[_rid].severity)
# mcscope's own rules compare sessions of either protocol (check --expect): the same default on Edge.
for _rid in MCSCOPE_DEFINED:
    RULES[_rid] = replace(RULES[_rid], edge_severity=RULES[_rid].severity)
for _rid, _sev, _family, _description, _ref, _consequence in _EDGE_TABLE:
    RULES[_rid] = RuleInfo(_rid, _S[_sev], _family, _description.replace("**", ""), _ref.replace("`", ""),
                           _consequence is not None,
                           _consequence, edge_severity=_S[_sev], rest=False)

#: The ids of :data:`_EDGE_TABLE` (Media Edge API only).
EDGE_ONLY: frozenset[str] = frozenset(row[0] for row in _EDGE_TABLE)
#: Every rule judged on Media Edge API traffic.
EDGE_RULES: frozenset[str] = frozenset(rid for rid, info in RULES.items() if info.edge_severity is not None)
