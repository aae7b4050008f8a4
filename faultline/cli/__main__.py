"""``python -m faultline.cli``: the ``faultline`` command."""

import sys

from faultline.cli import main

sys.exit(main())
