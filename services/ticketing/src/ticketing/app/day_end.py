"""Close the tickets a site's day left waiting.

Call-next and the line look at the site's local day only, so a ticket still ``waiting`` when
the day ends would never be called, yet stay "waiting" for the citizen and for estimation
(which counts what the events say waits). Every ``every_seconds`` (``ANTRE_DAY_END_CHECK_SECONDS``)
this loop cancels, per site, the tickets still waiting from a day before the site's current
local date: ``cancelled`` with ``ticket.cancelled`` ``by: "system"`` in the same transaction,
in bounded batches. Rows are claimed with ``FOR UPDATE SKIP LOCKED`` and only waiting ones are
taken, so a second pass, or a second replica at the same time, closes nothing twice.

Called or serving tickets of an earlier day are left alone: their counter still holds them
(``at_counter`` is not bound to a day) and staff finish, mark no-show or transfer them.
"""

import asyncio
import logging
from collections.abc import Callable

from antre_platform.clock import Clock

from ticketing.app import events
from ticketing.app.ports import UnitOfWork
from ticketing.domain.catalog import Site

log = logging.getLogger(__name__)


class DayEndClosure:
    def __init__(
        self,
        *,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        every_seconds: float,
        batch_size: int = 500,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._every_seconds = every_seconds
        self._batch_size = batch_size

    async def close_past_days(self) -> int:
        """One pass over every known site; returns how many tickets it cancelled."""
        async with self._uow() as uow:
            sites = await uow.catalog.all_sites()
        closed = 0
        for site in sites:
            closed += await self.close_site(site)
        return closed

    async def close_site(self, site: Site) -> int:
        """Cancel the site's tickets left waiting from earlier local days, one batch per transaction."""
        closed = 0
        while True:
            async with self._uow() as uow:
                now = self._clock.now()
                today = site.local_day(now)
                tickets = await uow.tickets.outlived_their_day(site.id, today, self._batch_size)
                for ticket in tickets:
                    ticket.close_with_the_day(today, now)
                    await uow.tickets.save(ticket)
                    await uow.emit(events.ticket_cancelled(ticket, "system", now))
                await uow.commit()
            closed += len(tickets)
            if len(tickets) < self._batch_size:
                return closed

    async def run(self) -> None:
        """A pass at start, then one every period, until cancelled; a failed pass (PostgreSQL
        away) is retried at the next one."""
        while True:
            try:
                closed = await self.close_past_days()
                if closed:
                    log.info("cancelled %d tickets left waiting when their day ended", closed)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("closing the tickets of past days failed; retrying at the next pass")
            await asyncio.sleep(self._every_seconds)
