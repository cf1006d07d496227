"""`python -m cinematch ...`: the same as the `cinematch` command."""

import sys

from .entrypoints.cli import main

sys.exit(main())
