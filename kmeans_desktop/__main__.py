"""`python -m kmeans_desktop` runs the same entry point as the `kmeans-desktop` script."""

import sys

from kmeans_desktop.cli import main

sys.exit(main())
