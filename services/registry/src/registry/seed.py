"""``python -m registry.seed --registry-url URL --admin-token T [--data PATH]``: seed a demo MPP.

Importable too: ``await seed(client, data)`` returns a :class:`SeedSummary`.
"""

import sys

from registry.entrypoints.seed import SeedError, SeedSummary, main, seed

__all__ = ["SeedError", "SeedSummary", "main", "seed"]

if __name__ == "__main__":
    sys.exit(main())
