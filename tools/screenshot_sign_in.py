"""Render the sign-in screen's states to screenshots/sign_in_*.png (offscreen), for looking at them."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication

from ccdesk.auth.config import AuthConfig
from ccdesk.auth.session import AuthSession
from ccdesk.auth.token_store import MemoryTokenStore
from ccdesk.ui.sign_in import SignInScreen


def main() -> None:
    app = QApplication.instance() or QApplication([])
    out = Path("screenshots")
    out.mkdir(exist_ok=True)
    config = AuthConfig(client_id="demo")
    session = AuthSession(config, MemoryTokenStore())

    def shot(screen: SignInScreen, name: str) -> None:
        screen.resize(560, 380)
        screen.show()
        app.processEvents()
        screen.grab().save(str(out / f"sign_in_{name}.png"))
        screen.close()

    shot(SignInScreen(session, config), "idle")
    shot(SignInScreen(None, None), "no_api_key")
    expired = SignInScreen(session, config, message="Your Constant Contact session has expired. Sign in again; "
                           "your 3 queued changes are kept.")
    shot(expired, "expired_session")
    device = SignInScreen(session, config)
    device.pages.setCurrentIndex(2)
    device.user_code.setText("WDJB-MJHT")
    device.device_url.setText("https://authz.constantcontact.com/activate")
    device.device_status.setText("Waiting for you to enter the code…  Code expires in 9:41.")
    shot(device, "device_code")
    error = SignInScreen(session, config)
    error.show_error("You declined access in the browser. Sign in again when you are ready.")
    shot(error, "error")


if __name__ == "__main__":
    main()
