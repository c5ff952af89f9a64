"""Entry point of the frozen app (PyInstaller needs a script, not a console_scripts entry)."""

from ccdesk.app import main

raise SystemExit(main())
