"""``python -m mcscope`` = the ``mcscope`` command."""

import sys

from mcscope.cli import main

sys.exit(main())
