"""python -m providers.synthetic: runs main() and exits with its code."""
import sys

from . import main

sys.exit(main())
