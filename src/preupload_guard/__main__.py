"""``python -m preupload_guard``."""

import sys

from preupload_guard.cli import main

sys.exit(main())
