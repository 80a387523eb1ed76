"""The capacity service's operator commands:

    python -m capacity.manage migrate
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tracker_common.config import load_settings
from tracker_common.migrations import upgrade

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m capacity.manage")
    parser.add_argument("command", choices=["migrate"])
    parser.parse_args(argv)
    upgrade(MIGRATIONS_DIR, load_settings().database_url("capacity"))
    print("capacity: database is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
