"""Entry point of the frozen app (PyInstaller needs a script, not a console_scripts entry)."""

import multiprocessing

# A big first full read stores its pages in a spawned process (ccdesk/services/page_store.py): in the frozen app
# that child is this executable again, and freeze_support() makes it run the worker instead of the window.
multiprocessing.freeze_support()

from ccdesk.app import main  # noqa: E402

raise SystemExit(main())
