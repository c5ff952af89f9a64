"""Render Settings (with the Team box) as docs/team.md shows it: a desk in a team, signed in.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshot_settings.py [OUT_DIR]

Writes OUT_DIR/team-settings.png (default docs/images) and prints the path. Made-up values; nothing is read
from or saved to this computer's settings or keyring.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from PySide6.QtWidgets import QApplication
from shot_window import ShotNotWritten, save_shot

from ccdesk.preferences import Preferences
from ccdesk.ui.preferences_dialog import PreferencesDialog
from ccdesk.ui.team_settings import team_status_text


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "docs" / "images"
    app = QApplication.instance() or QApplication(sys.argv[:1])
    prefs = Preferences(client_id="abc-123", desk_name="Front desk",
                        team_dsn="host=db.example.org port=5432 dbname=ccdesk user=desk_front sslmode=verify-full")
    dialog = PreferencesDialog(prefs, signed_in_as="events@example.org", keyring_backend="SecretService",
                               team_status=team_status_text(True, "", False, "Front desk"))
    dialog.resize(640, dialog.sizeHint().height())
    dialog.show()
    app.processEvents()
    try:
        print(save_shot(dialog.grab(), out / "team-settings.png"))
    except ShotNotWritten as exc:
        sys.exit(str(exc))


if __name__ == "__main__":
    main()
