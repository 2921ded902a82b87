"""`python -m artgan …` (also what torchrun runs)."""

import sys

from artgan.cli import main

sys.exit(main())
