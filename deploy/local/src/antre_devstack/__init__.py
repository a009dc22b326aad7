"""Local Kafka and PostgreSQL for Antre, run as plain processes (no Docker).

`Infra` starts both for `make run` and the test suites; `KafkaNode` and `PostgresNode`
are the single-server building blocks when a test needs to stop or crash one of them.
"""

from antre_devstack.errors import DevstackError, NodeError, PrerequisiteError
from antre_devstack.infra import Infra
from antre_devstack.kafka import KafkaNode
from antre_devstack.postgres import PostgresNode

__all__ = ["DevstackError", "Infra", "KafkaNode", "NodeError", "PostgresNode", "PrerequisiteError"]
