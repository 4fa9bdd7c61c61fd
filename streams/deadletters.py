"""One bad record never stops an agent: it goes to ``streams.deadletter`` and the agent goes on."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import faust

from bridge.catalog import STREAMS_DEADLETTER_TYPE
from streams.codec import Undecodable

if TYPE_CHECKING:
    from streams.app import Streams

logger = logging.getLogger(__name__)


async def dead_letter(streams: Streams, agent: str, event: faust.EventT, reason: str) -> None:
    """Publish ``event``'s record as it was read, with where it came from and why it failed."""
    message = event.message
    record = {
        "agent": agent,
        "source_topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
        "key": message.key,
        "value": message.value,
        "reason": reason,
        "detected_at": datetime.now(UTC),
    }
    value = await streams.codec.encode(STREAMS_DEADLETTER_TYPE, record)
    await streams.outputs.deadletter.send(key=message.key, value=value)
    logger.warning(
        "dead-lettered agent=%s topic=%s partition=%d offset=%d reason=%s",
        agent,
        message.topic,
        message.partition,
        message.offset,
        reason,
    )


async def guarded(
    streams: Streams, agent: str, event: faust.EventT, handle: Callable[[], Awaitable[None]]
) -> None:
    """Run ``handle`` for one event; a failure dead-letters the event instead of the agent."""
    try:
        await handle()
    except Undecodable as exc:
        await dead_letter(streams, agent, event, str(exc))
    except Exception as exc:  # noqa: BLE001 - any failure of one record must not stop the agent
        # The stack, not the message: messages may quote record data.
        logger.error(
            "%s failed on topic=%s partition=%d offset=%d: %s\n%s",
            agent,
            event.message.topic,
            event.message.partition,
            event.message.offset,
            type(exc).__name__,
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        await dead_letter(streams, agent, event, f"failed: {type(exc).__name__}")


def guarded_agent(
    streams: Streams,
    channel: faust.TopicT,
    name: str,
    handle: Callable[[faust.EventT], Awaitable[None]],
) -> faust.types.AgentT:
    """Register agent ``name`` that runs ``handle`` on each event of ``channel``, one at a time
    (concurrency 1: see faust-streaming's open bug on concurrency > 1), dead-lettering failures."""

    async def agent(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await guarded(streams, name, event, lambda event=event: handle(event))

    return streams.app.agent(channel, name=name, concurrency=1)(agent)
