"""Getting to a signed-in session for a real account: restore it from the keyring, or show the sign-in screen
(with Settings for the API key) until someone signs in. Also brings the screen back when the session ends."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from PySide6.QtWidgets import QWidget

from ccdesk.api.errors import SignInRequired
from ccdesk.auth.config import AuthConfig
from ccdesk.auth.session import AuthSession, SessionEvent
from ccdesk.auth.token_store import KeyringTokenStore, TokenStore
from ccdesk.events import Event
from ccdesk.preferences import Preferences

from .preferences_dialog import PreferencesDialog
from .sign_in import SignInScreen
from .team_settings import save_team_password

log = logging.getLogger(__name__)


class AccountGate:
    def __init__(self, prefs: Preferences, *, open_url: Callable[[str], bool] | None = None,
                 store_factory: Callable[[str], TokenStore] = KeyringTokenStore) -> None:
        self.prefs = prefs
        self.open_url = open_url
        self.store_factory = store_factory
        self.session: AuthSession | None = None  # the one in use: the browser app's or the device app's
        self.device_session: AuthSession | None = None  # the device-flow app's, when its API key is set
        self._browser_session: AuthSession | None = None
        self.config: AuthConfig | None = None
        self._on_signed_out: Callable[[str], None] | None = None
        self._watched: weakref.WeakSet[AuthSession] = weakref.WeakSet()  # their events reach `_on_signed_out`
        self.screen: SignInScreen | None = None
        self.signed_in_again = Event()  # () signed in on the screen shown after a sign-out
        self.prefs_saved = Event()  # () Settings were saved
        self.team_status: Callable[[], str] = lambda: ""  # Settings → Team shows it (set by the app in team mode)
        self._tasks: set[asyncio.Task[None]] = set()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _build_session(self) -> None:
        """The sessions Settings call for, restored from the keyring. They replace the old ones only once all are
        read: the window's API client asks this gate for tokens, and a request sent meanwhile (Settings saved
        during a send) must not find it signed out."""
        old = {self.session, self.device_session, self._browser_session} - {None}
        session: AuthSession | None = None
        config: AuthConfig | None = None
        device: AuthSession | None = None
        browser: AuthSession | None = None
        device_key = self.prefs.device_client_id
        if device_key and device_key != self.prefs.client_id:
            try:
                device = await AuthSession.restore(self.prefs.auth_config(device_key), self.store_factory(device_key))
            except ValueError as exc:
                log.warning("Settings are not usable for the device flow: %s", exc)
        if not self.prefs.client_id:
            if device is not None and device.signed_in:
                session, config = device, device.config
        else:
            try:
                config = self.prefs.auth_config()
            except ValueError as exc:
                log.warning("Settings are not usable: %s", exc)
                config = None
            if config is not None:
                browser = session = await AuthSession.restore(config, self.store_factory(config.client_id))
                if not session.signed_in and device is not None and device.signed_in:
                    session, config = device, device.config  # signed in with a code
        self.session, self.config, self.device_session = session, config, device
        self._browser_session = browser
        for gone in old:
            await gone.aclose()  # type: ignore[union-attr]

    async def signed_in_session(self, quit_event: asyncio.Event) -> AuthSession | None:
        """The session to use, after a sign-in if needed; None if the app was closed first."""
        await self._build_session()
        if self.session is not None and self.session.signed_in:
            return self.session
        done = asyncio.Event()
        self.show_screen(self.session.store_problem or "" if self.session is not None else "", done)
        waiter = asyncio.ensure_future(done.wait())
        quitter = asyncio.ensure_future(quit_event.wait())
        await asyncio.wait({waiter, quitter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        quitter.cancel()
        if not done.is_set():
            return None
        return self.session

    def show_screen(self, message: str, done: asyncio.Event | None = None) -> None:
        if self.screen is not None:  # already asking (a second Sign out, a refusal while it is shown)
            self.screen.raise_()
            return
        # The browser way with the browser app's settings, whichever way the last sign-in went.
        screen = SignInScreen(self._browser_session, self._browser_config(), message=message, open_url=self.open_url,
                              device_session=self.device_session)
        self.screen = screen
        screen.settings_requested.connect(self.open_settings)

        def finished() -> None:
            chosen = screen.signed_in_session
            if chosen is not None and chosen is not self.session:
                self.session, self.config = chosen, chosen.config
            self._watch_current()
            self._spawn(self._forget_other_sign_in())
            screen.hide()
            screen.deleteLater()
            self.screen = None
            if done is not None:
                done.set()
            else:
                self.signed_in_again.emit()

        screen.signed_in.connect(finished)
        screen.show()

    def open_settings(self, parent: QWidget | None = None) -> None:
        backend = self.session.store.backend_name() if self.session and self.session.signed_in else ""
        dialog = PreferencesDialog(self.prefs, signed_in_as="you" if backend else None, keyring_backend=backend,
                                   team_status=self.team_status(), parent=parent or self.screen)

        def saved() -> None:
            result = dialog.result_preferences()
            if result is None:
                return
            self.prefs = replace(result)
            self.prefs.save()
            if dialog.team_password and self.prefs.team_dsn:
                save_team_password(self.prefs.team_dsn, dialog.team_password)
            self.prefs_saved.emit()
            self._spawn(self._reconfigure())

        dialog.accepted.connect(saved)
        dialog.sign_out_requested.connect(lambda: self._spawn(self.sign_out()))
        dialog.open()

    async def _forget_other_sign_in(self) -> None:
        """One sign-in chain per desk: the other app's saved sign-in (if any) goes."""
        for other in (self.device_session, self._browser_session):
            if other is not None and other is not self.session and other.signed_in:
                await other.sign_out("Signed in with the other API key instead.")

    async def _reconfigure(self) -> None:
        await self._build_session()
        self._watch_current()
        if self.screen is not None:
            self.screen.set_config(self._browser_session, self._browser_config(), self.device_session)

    async def aclose(self) -> None:
        """Close every session this gate holds (the one in use, and the other app's)."""
        for session in {self.session, self.device_session, self._browser_session} - {None}:
            await session.aclose()  # type: ignore[union-attr]

    async def sign_out(self) -> None:
        if self.session is not None:
            await self.session.sign_out()

    def watch(self, on_signed_out: Callable[[str], None]) -> None:
        """Call `on_signed_out(message)` when the session in use ends (refresh refused, or Sign out), also after
        a sign-in with the other app's key has made another session the one in use."""
        self._on_signed_out = on_signed_out
        self._watch_current()

    def _watch_current(self) -> None:
        session, callback = self.session, self._on_signed_out
        if session is None or callback is None or session in self._watched:
            return
        self._watched.add(session)

        def listener(event: SessionEvent) -> None:
            if event.kind == "signed_out" and session is self.session:
                callback(event.message)

        session.events.connect(listener)

    @property
    def signed_in(self) -> bool:
        return self.session is not None and self.session.signed_in

    async def access_token(self) -> str:
        """The API client's tokens come from the session in use now (api/tokens.TokenProvider): after a sign-out
        and a sign-in with the other way (browser or code) that is another session than the one at start."""
        return await self._in_use().access_token()

    async def refresh(self, rejected: str) -> str:
        return await self._in_use().refresh(rejected)

    def _in_use(self) -> AuthSession:
        if self.session is None:
            raise SignInRequired("You are not signed in to Constant Contact.")
        return self.session

    def _browser_config(self) -> AuthConfig | None:
        return self._browser_session.config if self._browser_session is not None else None
