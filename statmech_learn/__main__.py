"""``python -m statmech_learn``: the ``statmech-learn`` command line (same arguments, output and exit codes)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
