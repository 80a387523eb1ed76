"""The reporting service's operator commands:

    python -m reporting.manage migrate
    python -m reporting.manage rebuild [--reset]   # refill the read model from the owning services' snapshots
"""
from __future__ import annotations

import sys
from pathlib import Path

from tracker_common.snapshots import read_model_commands

from .handlers.rebuild import rebuild
from .models import outbox, processed_events

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def main(argv=None) -> int:
    return read_model_commands("reporting", MIGRATIONS_DIR, rebuild, (outbox, processed_events), argv)


if __name__ == "__main__":
    sys.exit(main())
