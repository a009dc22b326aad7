"""Failures a test asks for: the next N sends (to one phone, or to any) fail with a Graph error,
or are answered only after a delay (a slow Meta), or both: a slow answer that is an error."""

from dataclasses import dataclass

from wa_sandbox.domain.graph_errors import GraphError


@dataclass
class Fault:
    id: int
    status: int | None
    code: int | None
    remaining: int
    to: str | None = None  # a wa_id; None fails sends to anyone
    details: str | None = None
    delay_seconds: float = 0.0

    def applies_to(self, wa_id: str) -> bool:
        return self.remaining > 0 and (self.to is None or self.to == wa_id)

    def error(self) -> GraphError | None:
        """The Graph error to answer with; None for a delay-only fault (the send then succeeds)."""
        if self.status is None or self.code is None:
            return None
        return GraphError(self.status, self.code, self.details)


class FaultBook:
    """Faults in the order they were asked for; a send consumes one use of the first that applies."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._last_id = 0

    def add(self, *, status: int | None = None, code: int | None = None, count: int, to: str | None = None,
            details: str | None = None, delay_seconds: float = 0.0) -> Fault:
        if (status is None) != (code is None):
            raise ValueError("status and code go together: give both, or neither for a delay only")
        if status is None and delay_seconds <= 0:
            raise ValueError("a fault needs status and code, or delay_seconds > 0")
        self._last_id += 1
        fault = Fault(id=self._last_id, status=status, code=code, remaining=count, to=to, details=details,
                      delay_seconds=delay_seconds)
        self._faults.append(fault)
        return fault

    def take(self, wa_id: str) -> Fault | None:
        """Use up one send of the first fault that applies to this phone (None: send normally)."""
        for fault in self._faults:
            if fault.applies_to(wa_id):
                fault.remaining -= 1
                self._faults = [f for f in self._faults if f.remaining > 0]
                return fault
        return None

    def pending(self) -> list[Fault]:
        return list(self._faults)

    def clear(self) -> None:
        self._faults.clear()
