"""The frozen app's entry script (see build.spec): the same executable runs the GUI, `compress`,
the GUI's encoder helper and, for `compress --jobs`, multiprocessing's spawned workers.

It lives outside the package on purpose: PyInstaller puts an entry script's folder on the module
search path, and `kmeans_desktop/` there would make `cli`, `core`, ... importable as top-level
modules.
"""

import time

#: Wall-clock time at the first line of Python, for the self-test's start-up figure where the
#: process start time can't be read from the OS (see kmeans_desktop.gui.selftest.process_start_time).
STARTED_AT = time.time()

import multiprocessing  # noqa: E402
import sys  # noqa: E402

if __name__ == "__main__":
    # A spawned worker of `compress --jobs N` is this executable again: run the worker and exit
    # here, before anything else (a no-op in an ordinary start).
    multiprocessing.freeze_support()

    from kmeans_desktop.cli import main

    sys.exit(main())
