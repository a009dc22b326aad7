"""Use cases: applying events to the queue state, and answering estimate queries."""
