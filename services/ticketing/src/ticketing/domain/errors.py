"""Refusals of the domain. Each carries a stable ``code`` for programs and a message for people.

Entrypoints translate the three families into HTTP: ``NotFound`` 404, ``InvalidRequest``
422 (naming the field to fix), ``Conflict`` 409 (the state forbids it now).
"""


class DomainError(Exception):
    code = "refused"

    def __init__(
        self, detail: str, *, detail_id: str | None = None, extra: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        # Bahasa Indonesia, for refusals a citizen may read on a kiosk or web page.
        self.detail_id = detail_id
        # More members of the problem response, for programs (e.g. ``opens_at``).
        self.extra = extra or {}


class NotFound(DomainError):
    code = "not_found"


class InvalidRequest(DomainError):
    code = "invalid"

    def __init__(self, detail: str, *, field: str, detail_id: str | None = None) -> None:
        super().__init__(detail, detail_id=detail_id)
        self.field = field


class Conflict(DomainError):
    code = "conflict"


class Forbidden(DomainError):
    """The caller is known but may not touch this (another agency's counter, another counter)."""

    code = "forbidden"


class UnknownService(InvalidRequest):
    code = "unknown_service"


class PriorityNotOffered(InvalidRequest):
    code = "priority_not_offered"


class IdempotencyKeyReused(InvalidRequest):
    code = "idempotency_key_reused"


class ServiceNotAvailable(Conflict):
    code = "service_inactive"


class QuotaReached(Conflict):
    code = "daily_quota_reached"


class SiteNotKnown(Conflict):
    code = "site_not_known"


class UnknownCounter(NotFound):
    code = "unknown_counter"


class UnknownJourney(InvalidRequest):
    code = "unknown_journey"


class OutsideHours(Conflict):
    code = "outside_hours"


class PhoneLimitReached(Conflict):
    code = "phone_limit_reached"


class RejoinRefused(Conflict):
    code = "rejoin_refused"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class CounterClosed(IllegalTransition):
    code = "counter_closed"


class CounterBusy(IllegalTransition):
    code = "counter_busy"


class CounterPaused(CounterClosed):
    code = "counter_paused"


class InvalidPhone(ValueError):
    """Not a plausible Indonesian mobile number; the message never repeats the input."""
