"""Errors a developer has to act on, each with a message that says what to do."""


class DevstackError(Exception):
    """Base for every failure of the local infrastructure."""


class PrerequisiteError(DevstackError):
    """A tool is missing or a port is taken; the message is one line with the fix."""


class NodeError(DevstackError):
    """A server did not start, answer or stop; the message ends with its latest log lines."""
