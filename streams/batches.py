"""Agents that take their events in batches, so that what a batch writes can be combined.

Faust acks a batch's events once the agent has handled the batch, and flushes the producer
before it commits offsets: what a batch wrote reaches Kafka before the batch's offsets are
committed (at-least-once), as with one event at a time.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

import faust
from faust.streams import _current_event

from streams.deadletters import guarded

if TYPE_CHECKING:
    from streams.app import Streams

BATCH_MAX = 1000
# Seconds a batch waits to fill: the latency it adds. Faust hands events over a few at a time,
# so a batch of only what is already waiting would be small, and cost more per event.
BATCH_WITHIN = 0.02


class current:  # (named as the function it replaces: ``with current(event):``)
    """``event`` as Faust's current event, as while a stream iterates: table reads and writes
    use its partition (a batch handed to an agent has no current event). A class rather than
    a generator: it runs for every event and every table write."""

    __slots__ = ("_event", "_token")

    def __init__(self, event: faust.EventT) -> None:
        self._event = event

    def __enter__(self) -> None:
        self._token = _current_event.set(weakref.ref(self._event))

    def __exit__(self, *exc_info: object) -> None:
        _current_event.reset(self._token)


async def each(
    streams: Streams,
    agent: str,
    events: Sequence[faust.EventT],
    handle: Callable[[faust.EventT], Awaitable[None]],
) -> None:
    """Run ``handle`` for each event, as the current event; failures are dead-lettered."""
    for event in events:
        with current(event):
            await guarded(streams, agent, event, lambda event=event: handle(event))


def batch_agent(
    streams: Streams,
    channel: faust.TopicT,
    name: str,
    handle: Callable[[Sequence[faust.EventT]], Awaitable[None]],
    within: float = BATCH_WITHIN,
) -> faust.types.AgentT:
    """Register agent ``name`` that runs ``handle`` on batches of ``channel``'s events: up to
    ``BATCH_MAX``, or what came ``within`` seconds (concurrency 1, like ``guarded_agent``)."""

    async def agent(stream: faust.StreamT) -> None:
        async for events in stream.take_events(BATCH_MAX, within=within):
            await handle(events)

    return streams.app.agent(channel, name=name, concurrency=1)(agent)
