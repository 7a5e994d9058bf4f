"""``$upstream`` of the in-process hub: the cloud, with edgeHub's store-and-forward in front of it.

While the cloud is reachable, routed messages arrive at once. While it is not, they are held in order,
bounded by a count (the oldest is dropped first, as a full disk would force) and by each message's
time-to-live (the route's ``timeToLiveSecs``, else ``storeAndForwardConfiguration.timeToLiveSecs``). When the
cloud returns, everything still alive is delivered in the order it was sent. Every loss is counted.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from energy_edge.messaging.message import EdgeMessage

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HeldMessage:
    message: EdgeMessage
    route: str
    enqueued_at_s: float
    ttl_s: float


class CloudUpstream:
    """Collects what modules send to ``$upstream``; tests and the simulator read :attr:`delivered`."""

    def __init__(self, *, clock: Callable[[], float], capacity: int = 100_000) -> None:
        if capacity < 1:
            raise ValueError("upstream capacity must be at least one message")
        self._clock = clock
        self._capacity = capacity
        self._held: deque[HeldMessage] = deque()
        self._reachable = True
        self.delivered: list[EdgeMessage] = []
        self.expired = 0
        self.overflowed = 0

    @property
    def reachable(self) -> bool:
        return self._reachable

    @property
    def held(self) -> int:
        """Messages waiting for the cloud to come back."""
        return len(self._held)

    def set_reachable(self, reachable: bool) -> None:
        """Cut or restore the connection to the cloud; restoring delivers what was held, in order."""
        self._reachable = reachable
        if reachable:
            self._flush()

    def accept(self, message: EdgeMessage, *, route: str, ttl_s: float) -> None:
        if self._reachable and not self._held:
            self.delivered.append(message)
            return
        self._drop_expired_head()
        if len(self._held) >= self._capacity:
            dropped = self._held.popleft()
            self.overflowed += 1
            _log.warning("store-and-forward full: dropped the oldest message of route %s", dropped.route)
        self._held.append(HeldMessage(message, route, self._clock(), ttl_s))
        if self._reachable:
            self._flush()

    def _drop_expired_head(self) -> None:
        """During a long outage, free what has expired at the front of the queue (TTLs differ per route,
        so this is a cheap partial purge; the flush checks every message)."""
        now = self._clock()
        while self._held and now - self._held[0].enqueued_at_s > self._held[0].ttl_s:
            self._held.popleft()
            self.expired += 1

    def _flush(self) -> None:
        now = self._clock()
        while self._held:
            held = self._held.popleft()
            if now - held.enqueued_at_s > held.ttl_s:
                self.expired += 1
                continue
            self.delivered.append(held.message)
