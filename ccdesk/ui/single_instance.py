"""One ccdesk per user and mode: a second launch asks the first to come to the front, then quits."""

from __future__ import annotations

import getpass
import hashlib

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

RAISE = b"raise\n"


def server_name(mode: str) -> str:
    user = hashlib.sha256(getpass.getuser().encode()).hexdigest()[:12]
    return f"ccdesk-{mode}-{user}"


class SingleInstance(QObject):
    """`claim()` is True for the first instance; later ones hand over (raise_requested fires in the first)."""

    raise_requested = Signal()

    def __init__(self, mode: str = "account", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(mode)
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
