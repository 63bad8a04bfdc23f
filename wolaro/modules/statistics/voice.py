"""Voice sessions as plain values: joins, leaves, moves, mutes and deafens turned into counted seconds.

A session is open while a member is in a voice channel. Its time is counted up to `counted_until`; a checkpoint
(each flush) counts the time since, split by hour. Time while deafened counts only if the server says so, and
time in the server's AFK channel never does. After a crash, a session is closed at its last checkpoint, or
resumed from there if the member is still in the same channel within `RESUME_GAP` seconds: never a negative or a
runaway duration.
"""

from __future__ import annotations

from dataclasses import dataclass

from wolaro.modules.statistics.times import split_by_hour

RESUME_GAP = 300
"""Seconds a session may go uncounted (a restart) and still be resumed if the member stayed in the channel."""


@dataclass(slots=True)
class Session:
    """An open voice session."""

    channel_id: int
    started_at: float
    counted_until: float
    counting: bool


@dataclass(frozen=True, slots=True)
class Segment:
    """Counted voice time of one member in one channel: [(hour, seconds)]."""

    guild_id: int
    channel_id: int
    user_id: int
    pieces: tuple[tuple[int, int], ...]


class VoiceTracker:
    """The open sessions of the servers this process serves, keyed by (guild_id, user_id)."""

    def __init__(self) -> None:
        self.sessions: dict[tuple[int, int], Session] = {}
        self.closed: set[tuple[int, int]] = set()
        """Sessions ended since the last flush (their rows are deleted then)."""

    def _close(self, key: tuple[int, int], now: float) -> Segment | None:
        session = self.sessions.pop(key, None)
        if session is None:
            return None
        self.closed.add(key)
        return _segment(key, session, now)

    def update(self, guild_id: int, user_id: int, channel_id: int | None, counting: bool, now: float) -> list[Segment]:
        """A member's voice state changed: close what ended, open what began; returns the time to count."""
        key = (guild_id, user_id)
        session = self.sessions.get(key)
        if session is not None and session.channel_id == channel_id:
            segment = _segment(key, session, now)  # mute or deafen changed: count so far, go on
            session.counted_until = max(session.counted_until, now)
            session.counting = counting
            return [segment] if segment else []
        segments = [s for s in [self._close(key, now)] if s]
        if channel_id is not None:
            self.sessions[key] = Session(channel_id, now, now, counting)
            self.closed.discard(key)
        return segments

    def checkpoint(self, now: float) -> list[Segment]:
        """Count every open session up to `now` (before a flush)."""
        segments: list[Segment] = []
        for key, session in self.sessions.items():
            segment = _segment(key, session, now)
            session.counted_until = max(session.counted_until, now)
            if segment:
                segments.append(segment)
        return segments

    def adopt(self, guild_id: int, user_id: int, session: Session) -> None:
        """Take over a session found at start (resumed from its checkpoint, or opened now)."""
        self.sessions[(guild_id, user_id)] = session
        self.closed.discard((guild_id, user_id))

    def forget(self, guild_id: int, user_id: int | None = None) -> None:
        """Drop sessions without counting them (a member opted out, a server was left)."""
        for key in [k for k in self.sessions if k[0] == guild_id and (user_id is None or k[1] == user_id)]:
            del self.sessions[key]
            self.closed.add(key)


def _segment(key: tuple[int, int], session: Session, now: float) -> Segment | None:
    if not session.counting or now <= session.counted_until:
        return None
    pieces = tuple(split_by_hour(session.counted_until, now))
    return Segment(key[0], session.channel_id, key[1], pieces) if pieces else None


def restored(
    channel_now: int | None, row_channel: int, started_at: int, counted_until: int, now: float
) -> Session | None:
    """The session to resume after a restart, or None to leave it closed at its checkpoint.

    Resumed only if the member is still in the same channel and the process was away at most `RESUME_GAP`.
    """
    if channel_now != row_channel or now - counted_until > RESUME_GAP or counted_until > now:
        return None
    return Session(row_channel, float(started_at), float(counted_until), True)
