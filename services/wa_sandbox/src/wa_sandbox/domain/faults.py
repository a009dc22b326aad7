"""Failures a test asks for: the next N sends (to one phone, or to any) fail with a Graph error."""

from dataclasses import dataclass

from wa_sandbox.domain.graph_errors import GraphError


@dataclass
class Fault:
    id: int
    status: int
    code: int
    remaining: int
    to: str | None = None  # a wa_id; None fails sends to anyone
    details: str | None = None

    def applies_to(self, wa_id: str) -> bool:
        return self.remaining > 0 and (self.to is None or self.to == wa_id)

    def error(self) -> GraphError:
        return GraphError(self.status, self.code, self.details)


class FaultBook:
    """Faults in the order they were asked for; a send consumes one use of the first that applies."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._last_id = 0

    def add(self, *, status: int, code: int, count: int, to: str | None = None,
            details: str | None = None) -> Fault:
        self._last_id += 1
        fault = Fault(id=self._last_id, status=status, code=code, remaining=count, to=to, details=details)
        self._faults.append(fault)
        return fault

    def take(self, wa_id: str) -> GraphError | None:
        for fault in self._faults:
            if fault.applies_to(wa_id):
                fault.remaining -= 1
                self._faults = [f for f in self._faults if f.remaining > 0]
                return fault.error()
        return None

    def pending(self) -> list[Fault]:
        return list(self._faults)

    def clear(self) -> None:
        self._faults.clear()
