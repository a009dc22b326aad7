"""A counter (loket) at work: open, paused or closed, and the one ticket it is calling or serving."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ticketing.domain.catalog import Counter
from ticketing.domain.errors import CounterBusy, CounterClosed, CounterPaused, IllegalTransition
from ticketing.domain.tickets import Ticket

DeskStatus = Literal["open", "paused", "closed"]


@dataclass
class Desk:
    """A counter as ticketing runs it. Staff finish one ticket before calling the next."""

    counter: Counter
    status: DeskStatus = "closed"
    current: Ticket | None = None
    pause_reason: str | None = None

    def open(self) -> None:
        """Open a closed counter, or resume a paused one."""
        if not self.counter.active:
            raise IllegalTransition(f"{self.counter.name} is deactivated in the registry; it cannot open.")
        if self.status == "open":
            raise IllegalTransition(f"{self.counter.name} is already open.")
        self.status, self.pause_reason = "open", None

    def pause(self, reason: str) -> None:
        if self.status != "open":
            raise IllegalTransition(f"{self.counter.name} is {self.status}: only an open counter can pause.")
        self._require_free("pause")
        self.status, self.pause_reason = "paused", reason

    def close(self) -> None:
        if self.status == "closed":
            raise IllegalTransition(f"{self.counter.name} is already closed.")
        self._require_free("close")
        self.status, self.pause_reason = "closed", None

    def ensure_can_call(self) -> None:
        if self.status == "paused":
            raise CounterPaused(
                f"{self.counter.name} is paused ({self.pause_reason}): open it again before calling a ticket."
            )
        if self.status != "open":
            raise CounterClosed(f"{self.counter.name} is closed: open it before calling a ticket.")
        self._require_free("call the next ticket")

    def call(self, ticket: Ticket, at: datetime) -> None:
        self.ensure_can_call()
        if ticket.service_id not in self.counter.service_ids:
            raise IllegalTransition(f"{self.counter.name} does not serve the service of {ticket.number}.")
        ticket.call(self.counter.id, at)
        self.current = ticket

    def recall(self, at: datetime) -> Ticket:
        ticket = self._current_or_refuse("recall")
        if ticket.status != "called":
            raise IllegalTransition(
                f"{self.counter.name} is already serving {ticket.number}; there is nobody to recall."
            )
        ticket.recall(at)
        return ticket

    def start(self, at: datetime) -> Ticket:
        ticket = self._current_or_refuse("start serving")
        if ticket.status != "called":
            raise IllegalTransition(f"{self.counter.name} is already serving {ticket.number}.")
        ticket.start(at)
        return ticket

    def finish(self, at: datetime) -> Ticket:
        ticket = self._current_or_refuse("finish")
        if ticket.status != "serving":
            raise IllegalTransition(
                f"{self.counter.name} called {ticket.number} but has not started serving it: start it first."
            )
        ticket.finish(at)
        self.current = None
        return ticket

    def no_show(self, at: datetime) -> Ticket:
        ticket = self._current_or_refuse("mark as a no-show")
        if ticket.status != "called":
            raise IllegalTransition(
                f"{self.counter.name} is serving {ticket.number}: "
                "the citizen came, so it cannot be a no-show."
            )
        ticket.mark_no_show(at)
        self.current = None
        return ticket

    def hand_over(self) -> Ticket:
        """The current ticket, leaving the counter (for a transfer)."""
        ticket = self._current_or_refuse("transfer")
        self.current = None
        return ticket

    def _current_or_refuse(self, action: str) -> Ticket:
        if self.current is None:
            raise IllegalTransition(
                f"{self.counter.name} has no called ticket to {action}: call the next one first."
            )
        return self.current

    def _require_free(self, action: str) -> None:
        if self.current is not None:
            doing = "serving" if self.current.status == "serving" else "calling"
            raise CounterBusy(
                f"{self.counter.name} is still {doing} {self.current.number}: finish it before you {action}."
            )
