"""Free TCP ports on 127.0.0.1, so tests can run beside a developer's own servers."""

import socket
from contextlib import ExitStack


def free_ports(count: int) -> list[int]:
    """Return `count` distinct ports that nobody listens on right now.

    All sockets stay bound until every port is chosen, so the kernel cannot hand out the
    same port twice (Kafka needs two ports that differ).
    """
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def free_port() -> int:
    """Return one port that nobody listens on right now."""
    return free_ports(1)[0]
