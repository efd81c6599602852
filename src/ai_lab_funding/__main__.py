"""`python -m ai_lab_funding` is the `ai-lab-funding` command line."""

import sys

from .cli import main

sys.exit(main())
