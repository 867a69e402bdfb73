"""Rules that compare the sessions of one client: app-installation-id-changed, session-restarted (R34, R44).

A REST client is its ECID (else address + User-Agent); a Media Edge API client is the identity its requests name
(ECID, kndctr identity), which ``EdgeIngest`` passes in.
"""

from __future__ import annotations

from mcscope.core.model import Exchange
from mcscope.core.state import Event, SessionState


def client_key(ev: Event, ex: Exchange) -> str | None:
    """The best identity of the device/app behind a sessionStart: its ECID, else address + User-Agent."""
    ecid = ev.params.get("visitor.marketingCloudUserId")
    if isinstance(ecid, str) and ecid:
        return f"ecid:{ecid}"
    ua = ex.request_header("user-agent")
    if ex.client or ua:
        host = (ex.client or "").rsplit(":", 1)[0] if ex.client and ex.client.count(":") == 1 else ex.client
        return f"addr:{host}|{ua or ''}"
    return None


class ClientTracker:
    """Remembers every client's install id and latest session per media id, in capture order.

    ``addon/shard.py`` subclasses it: there some sessions live in another process, so the two verdicts
    are hooks (:meth:`install_id_changed`, :meth:`restarted`).
    """

    def __init__(self) -> None:
        self._install_ids: dict[str, str] = {}
        self._latest: dict[tuple[str, str], SessionState] = {}

    def on_session_start(self, s: SessionState, ev: Event, ex: Exchange) -> None:
        key = client_key(ev, ex)
        s.client = key
        if key is None:
            return
        params = ev.params
        aid = params.get("appInstallationId")
        if isinstance(aid, str) and aid:
            previous = self._install_ids.get(key)
            if previous is not None and previous != aid:
                self.install_id_changed(s, ev, aid, previous)
            self._install_ids[key] = aid
        # only a 201 creates a session; a retry after a 400/5xx/timeout restarts nothing
        self._same_media(s, ev, key, ev.status == 201)

    def on_edge_session_start(self, s: SessionState, ev: Event, client: str | None, opened: bool) -> None:
        """A Media Edge API sessionStart: ``client`` is the identity its request names (ECID or kndctr identity,
        edge_exchange.client_identity), ``opened`` whether the Edge answered with a session id."""
        s.client = client
        if client is not None:
            self._same_media(s, ev, client, opened)

    def _same_media(self, s: SessionState, ev: Event, key: str, opened: bool) -> None:
        media_id = ev.params.get("media.id")  # Edge: sessionDetails.name (edge_spec.TO_REST)
        if not isinstance(media_id, str) or not media_id:
            return
        earlier = self._latest.get((key, media_id))
        if earlier is not None and earlier is not s:
            self.restarted(s, ev, media_id, earlier)
        if opened:
            self._latest[(key, media_id)] = s

    def install_id_changed(self, s: SessionState, ev: Event, aid: str, previous: str) -> None:
        s.emit("app-installation-id-changed", f"appInstallationId {aid!r} differs from {previous!r} of an "
               "earlier session of this client (it must persist until reinstall)", ev)

    def restarted(self, s: SessionState, ev: Event, media_id: str, earlier: SessionState) -> None:
        if still_open(earlier, ev):
            field = "sessionDetails.name" if s.protocol == "edge" else "media.id"
            s.emit("session-restarted", restarted_message(media_id, earlier, field), ev)


def restarted_message(media_id: str, earlier: SessionState, field: str = "media.id") -> str:
    return (f"new sessionStart for {field} {media_id!r} while session {earlier.sid or earlier.key} of this "
            "client is still open (progress and markers are lost)")


def still_open(earlier: SessionState, ev: Event) -> bool:
    """Is ``earlier`` still open when ``ev`` (a later sessionStart) arrives?"""
    if earlier.closed is not None or earlier.completed:
        return False
    if earlier.last_ts is None or ev.ts is None:
        return True
    return ev.ts - earlier.last_ts <= earlier.tun("idle_timeout") * 1000
