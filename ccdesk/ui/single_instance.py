"""One ccdesk per user, mode and data folder: a second launch asks the first to come to the front, then quits.

The key names the data folder (the cache's folder, by default the user data directory), so two people - or
two test runs with their own HOME - never see each other's window, while a second window of one user on one
data folder is still refused.
"""

from __future__ import annotations

import getpass
import hashlib
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from ccdesk.store.sqlite_file import default_db_path

RAISE = b"raise\n"


def data_folder() -> Path:
    """The default cache's folder, the user data directory (``~/.local/share/ccdesk`` on Linux)."""
    return default_db_path().parent


def server_name(mode: str, folder: Path | None = None) -> str:
    """A short local-socket name from the login, the mode and the data folder (hashed: a path can be long
    and hold any character)."""
    where = (folder or data_folder()).expanduser().resolve(strict=False)
    key = hashlib.sha256(f"{getpass.getuser()}\0{where}".encode()).hexdigest()[:16]
    return f"ccdesk-{mode}-{key}"


class SingleInstance(QObject):
    """`claim()` is True for the first instance; later ones hand over (raise_requested fires in the first)."""

    raise_requested = Signal()

    def __init__(self, mode: str = "account", parent: QObject | None = None, *, folder: Path | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(mode, folder)
        self._server: QLocalServer | None = None

    def claim(self, timeout_ms: int = 500) -> bool:
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if socket.waitForConnected(timeout_ms):
            socket.write(RAISE)
            socket.waitForBytesWritten(timeout_ms)
            socket.disconnectFromServer()
            return False
        # Nobody answered: a stale socket file from a crash must not block us.
        QLocalServer.removeServer(self.name)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not self._server.listen(self.name):
            return True  # cannot listen (unusual): run anyway rather than refuse to start
        self._server.newConnection.connect(self._on_connection)
        return True

    def _on_connection(self) -> None:
        assert self._server is not None
        while (conn := self._server.nextPendingConnection()) is not None:
            conn.readyRead.connect(lambda c=conn: self._read(c))

    def _read(self, conn: QLocalSocket) -> None:
        if bytes(conn.readAll().data()).startswith(RAISE.strip()):
            self.raise_requested.emit()
        conn.disconnectFromServer()
