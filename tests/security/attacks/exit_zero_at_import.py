"""sys.exit(0) before any check can assert: an exit code must never signal success."""

import sys

sys.exit(0)
