"""The sign-in screen: first start, and whenever Constant Contact needs a new sign-in.

Two ways in: the browser (PKCE with a one-shot listener on 127.0.0.1) or, where the browser cannot reach this
computer, a code typed on Constant Contact's page (device flow). No password ever passes through ccdesk.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import httpx
from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from ccdesk.api.errors import ApiError
from ccdesk.auth.config import AuthConfig
from ccdesk.auth.errors import SignInCancelled
from ccdesk.auth.flows import DeviceFlow, sign_in_pkce
from ccdesk.auth.session import AuthSession

from .notice_bar import NoticeBar

INTRO = ("ccdesk opens Constant Contact's sign-in page in your browser; after you approve, you come straight back "
         "here. ccdesk never sees your password.")


def _open_default(url: str) -> bool:
    return QDesktopServices.openUrl(QUrl(url))


def _copy_row(field: QLineEdit, label: str) -> QHBoxLayout:
    row = QHBoxLayout()
    field.setReadOnly(True)
    field.setAccessibleName(label)
    copy = QPushButton("Copy")
    copy.setAccessibleName(f"Copy {label.lower()}")
    copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(field.text()))
    row.addWidget(field, 1)
    row.addWidget(copy)
    return row


class SignInScreen(QWidget):
    signed_in = Signal()
    settings_requested = Signal()

    def __init__(self, session: AuthSession | None, config: AuthConfig | None, *,
                 open_url: Callable[[str], bool] | None = None, http: httpx.AsyncClient | None = None,
                 message: str = "", parent: QWidget | None = None,
                 device_session: AuthSession | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.config = config
        # The device flow needs its own app in Constant Contact: offered only when its API key is set.
        self.device_session = device_session
        self.signed_in_session: AuthSession | None = None  # the one that signed in (browser's or device's)
        self.open_url = open_url or _open_default
        self.http = http
        self._task: asyncio.Future[object] | None = None
        self._device: DeviceFlow | None = None
        self.setWindowTitle("Sign in to Constant Contact — ccdesk")
        self.setMinimumWidth(520)

        outer = QVBoxLayout(self)
        title = QLabel("Sign in to Constant Contact")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        title.setFont(font)
        outer.addWidget(title)
        self.message = NoticeBar()
        outer.addWidget(self.message)
        if message:
            self.message.show_message(message, kind="warning")
        self.error = NoticeBar()
        outer.addWidget(self.error)

        self.pages = QStackedWidget()
        outer.addWidget(self.pages, 1)
        self.pages.addWidget(self._start_page())
        self.pages.addWidget(self._browser_page())
        self.pages.addWidget(self._device_page())
        self.pages.addWidget(self._session_only_page())

        self._countdown = QTimer(self, interval=1000)
        self._countdown.timeout.connect(self._tick)
        self._update_configured()

    # --- pages ---------------------------------------------------------------------------------------------
    def _start_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.browser_button = QPushButton("Sign in with your &browser")
        self.browser_button.setDefault(True)
        self.browser_button.setMinimumHeight(self.browser_button.sizeHint().height() * 3 // 2)
        self.browser_button.clicked.connect(self.start_browser)
        self.device_button = QPushButton("Sign in with a &code instead")
        self.device_button.setToolTip("For when the browser cannot come back to this computer")
        self.device_button.clicked.connect(self.start_device)
        layout.addWidget(self.browser_button)
        layout.addWidget(self.device_button)
        self.not_configured = QLabel("Constant Contact needs your organisation's API key before anyone can sign in. "
                                     "An administrator enters it once in Settings.")
        self.not_configured.setWordWrap(True)
        self.settings_button = QPushButton("&Settings…")
        self.settings_button.clicked.connect(self.settings_requested.emit)
        layout.addWidget(self.not_configured)
        layout.addWidget(self.settings_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        return page

    def _browser_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.browser_status = QLabel("Waiting for you to approve in the browser…")
        self.browser_status.setWordWrap(True)
        layout.addWidget(self.browser_status)
        hint = QLabel("No browser opened? Copy this address into one on this computer:")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.browser_url = QLineEdit()
        layout.addLayout(_copy_row(self.browser_url, "Sign-in address"))
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.cancel)
        layout.addWidget(cancel, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        return page

    def _device_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel("On any device, open this page and enter the code:"))
        self.device_url = QLineEdit()
        layout.addLayout(_copy_row(self.device_url, "Verification address"))
        self.user_code = QLabel("—")
        code_font = QFont("monospace")
        code_font.setStyleHint(QFont.StyleHint.Monospace)
        code_font.setPointSizeF(self.font().pointSizeF() * 2.6)
        code_font.setBold(True)
        code_font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 4)
        self.user_code.setFont(code_font)
        self.user_code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.user_code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.user_code.setAccessibleName("Sign-in code")
        self.user_code.setFrameShape(QFrame.Shape.StyledPanel)
        layout.addWidget(self.user_code)
        self.device_status = QLabel()
        self.device_status.setWordWrap(True)
        layout.addWidget(self.device_status)
        row = QHBoxLayout()
        self.open_page_button = QPushButton("&Open the page")
        self.open_page_button.clicked.connect(self._open_device_page)
        self.new_code_button = QPushButton("Get a &new code")
        self.new_code_button.clicked.connect(self.start_device)
        self.new_code_button.setVisible(False)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.cancel)
        row.addWidget(self.open_page_button)
        row.addWidget(self.new_code_button)
        row.addStretch(1)
        row.addWidget(cancel)
        layout.addLayout(row)
        layout.addStretch(1)
        return page

    def _session_only_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.session_only_text = QLabel()
        self.session_only_text.setWordWrap(True)
        layout.addWidget(self.session_only_text)
        go = QPushButton("&Continue")
        go.clicked.connect(self.signed_in.emit)
        layout.addWidget(go, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        return page

    # --- state ---------------------------------------------------------------------------------------------
    def set_config(self, session: AuthSession | None, config: AuthConfig | None,
                   device_session: AuthSession | None = None) -> None:
        self.session, self.config, self.device_session = session, config, device_session
        self._update_configured()

    def _update_configured(self) -> None:
        ready = self.session is not None and self.config is not None
        self.browser_button.setEnabled(ready)
        self.device_button.setVisible(self.device_session is not None)
        self.device_button.setEnabled(self.device_session is not None)
        self.not_configured.setVisible(not ready)
        self.settings_button.setVisible(not ready)

    def show_error(self, text: str) -> None:
        self.error.show_message(text, kind="warning")

    def _back_to_start(self) -> None:
        self._countdown.stop()
        self.pages.setCurrentIndex(0)

    # --- browser (PKCE) ------------------------------------------------------------------------------------
    @asyncSlot()
    async def start_browser(self) -> None:
        if self.session is None or self.config is None or self._task is not None:
            return
        self.error.hide()
        self.browser_url.clear()
        self.pages.setCurrentIndex(1)

        def opener(url: str) -> bool:
            self.browser_url.setText(url)
            self.browser_url.setCursorPosition(0)
            return self.open_url(url)

        await self._run(sign_in_pkce(self.config, opener, http=self.http))

    # --- device code ---------------------------------------------------------------------------------------
    @asyncSlot()
    async def start_device(self) -> None:
        if self.device_session is None or (self._task is not None and not self._task.done()):
            return
        self.error.hide()
        self.new_code_button.setVisible(False)
        self.device_status.setText("Asking Constant Contact for a code…")
        self.user_code.setText("—")
        self.pages.setCurrentIndex(2)
        self._device = DeviceFlow(self.device_session.config, http=self.http, on_update=lambda _f: self._tick())
        await self._run(self._device_flow(self._device), self.device_session)

    async def _device_flow(self, flow: DeviceFlow) -> object:
        code = await flow.start()
        self.user_code.setText(code.user_code)
        self.device_url.setText(code.verification_uri)
        self._countdown.start()
        self._tick()
        return await flow.wait()

    def _open_device_page(self) -> None:
        if self._device is not None and self._device.code is not None:
            self.open_url(self._device.code.verification_uri_complete or self._device.code.verification_uri)

    def _tick(self) -> None:
        flow = self._device
        if flow is None or flow.code is None:
            return
        left = int(flow.seconds_left())
        expired = "The code expired before it was approved. Get a new code to try again."
        messages = {"slowed_down": "Constant Contact asked ccdesk to check less often; still waiting.",
                    "expired": expired, "denied": "Access was declined on the verification page.",
                    "cancelled": "Cancelled."}
        status = messages.get(flow.status, "Waiting for you to enter the code…")
        if left == 0 and flow.status not in ("done", "cancelled", "denied"):
            status = expired
        self.device_status.setText(f"{status}  Code expires in {left // 60}:{left % 60:02d}." if left else status)
        if left == 0:
            self._countdown.stop()
            self.new_code_button.setVisible(True)

    # --- common --------------------------------------------------------------------------------------------
    async def _run(self, flow: Awaitable[object], session: AuthSession | None = None) -> None:
        session = session or self.session
        assert session is not None
        self._task = asyncio.ensure_future(flow)
        try:
            tokens = await self._task
        except (asyncio.CancelledError, SignInCancelled):
            self._back_to_start()
            return
        except ApiError as exc:
            if self.pages.currentIndex() == 2 and self._device is not None and self._device.status == "expired":
                self._tick()
                self.new_code_button.setVisible(True)
                self.show_error(exc.message)
                return
            self._back_to_start()
            self.show_error(exc.message)
            return
        finally:
            self._task = None
            self._countdown.stop()
        saved = await session.sign_in(tokens)  # type: ignore[arg-type]
        self.signed_in_session = session
        if saved:
            self.signed_in.emit()
            return
        problem = session.store_problem
        self.session_only_text.setText(
            "You are signed in, but this computer has no password store ccdesk can use"
            + (f" ({problem})" if problem else "") + ", so ccdesk cannot remember the sign-in. You are signed in "
            "for this session only and will need to sign in again next time.")
        self.pages.setCurrentIndex(3)

    def cancel(self) -> None:
        if self._device is not None:
            self._device.cancel()
        if self._task is not None:
            self._task.cancel()
        self._back_to_start()

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        with contextlib.suppress(RuntimeError):
            self.cancel()
        super().closeEvent(event)

