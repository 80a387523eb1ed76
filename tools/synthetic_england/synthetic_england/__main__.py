"""python -m synthetic_england: runs main() and exits with its code."""
import sys

from . import main

sys.exit(main())
