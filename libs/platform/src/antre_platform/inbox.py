"""Idempotent consumers: remember each applied event id in the consumer's own database."""

from uuid import UUID

import asyncpg


async def first_delivery(conn: asyncpg.Connection, *, consumer: str, event_id: UUID) -> bool:
    """Record ``event_id`` for ``consumer``; False if it was already applied.

    Call inside the transaction that applies the event: if that transaction rolls back,
    the id is forgotten too and the redelivery is applied then.
    """
    inserted = await conn.fetchval(
        "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) "
        "ON CONFLICT DO NOTHING RETURNING true",
        consumer, event_id,
    )
    return bool(inserted)
