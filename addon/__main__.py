"""``python -m addon`` = the ``mcscope`` command."""

import sys

from addon.cli import main

sys.exit(main())
