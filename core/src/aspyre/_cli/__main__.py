"""``python -m aspyre._cli``: the ``aspyre`` command without its console script."""

import sys

from aspyre._cli import main

sys.exit(main())
