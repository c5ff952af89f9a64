"""`ccdesk team ...` as a user runs it (a subprocess with its own home), against the real PostgreSQL: the DSN's
password goes to the keyring and never to the settings file, sslmode is honoured, and every failure is a plain
sentence with an exit code (never a traceback)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ccdesk.team import schema
from ccdesk.team.dsn import connect

from .conftest import DESK_PASSWORD
from .pgserver import PgServer

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "PYTHON_KEYRING", "CCDESK_", "PG"))}
    env.update({"HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
                "XDG_STATE_HOME": str(home / "state"), "XDG_CONFIG_DIRS": str(home / "etc-xdg"),
                "PYTHONPATH": str(ROOT), "PYTHON_KEYRING_BACKEND": "tests.cli.odd_keyrings.PlaintextKeyring"})
    return env


def ccdesk(home: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    proc = subprocess.run([sys.executable, "-m", "ccdesk", *args, "--json"], env=_env(home), cwd=home,
                          capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def _url(pg: PgServer, db: str, *, password: bool = True, port: int | None = None, ssl: str = "disable") -> str:
    secret = f":{DESK_PASSWORD}" if password else ""
    return f"postgresql://desk_a{secret}@127.0.0.1:{port or pg.port}/{db}?sslmode={ssl}"


def test_join_status_leave(pg: PgServer, team_db: str, tmp_path: Path) -> None:
    code, out, _ = ccdesk(tmp_path, "team", "join", _url(pg, team_db))
    assert code == 1 and "ccdesk team init" in out["error"]  # no team schema yet: says who does what
    code, out, _ = ccdesk(tmp_path, "team", "init", pg.dsn(dbname=team_db))
    assert code == 0 and out["schema_version"] == schema.SCHEMA_VERSION

    code, out, _ = ccdesk(tmp_path, "team", "join", _url(pg, team_db))
    assert code == 0, out
    prefs = (tmp_path / "config" / "ccdesk" / "preferences.json").read_text()
    assert DESK_PASSWORD not in prefs and json.loads(prefs)["team_dsn"]
    saved = [line.split("=", 1) for line in (tmp_path / "keyring_pass.cfg").read_text().splitlines()]
    assert [(k, base64.b64decode(v).decode()) for k, v in saved] == [
        (f"ccdesk-team-database:desk_a@127.0.0.1:{pg.port}/{team_db}", DESK_PASSWORD)]

    code, out, _ = ccdesk(tmp_path, "team", "status")  # the password comes from the keyring now
    assert code == 0, out
    assert [d["os_user"] for d in out["desks"]] and out["items_waiting"] == 0 and out["requests_today"] == 0

    code, out, _ = ccdesk(tmp_path, "team", "leave")
    assert code == 0 and out["was_in_team"]
    assert json.loads((tmp_path / "config" / "ccdesk" / "preferences.json").read_text())["team_dsn"] == ""
    code, out, _ = ccdesk(tmp_path, "team", "status")
    assert code == 1 and "not in a team" in out["error"]
    with connect(pg.dsn(dbname=team_db), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM ccdesk.desks WHERE left_at IS NULL").fetchone()[0] == 0


def test_a_wrong_password_is_a_refused_login_not_an_outage(pg: PgServer, team_db: str, tmp_path: Path) -> None:
    code, out, _ = ccdesk(tmp_path, "team", "init", pg.dsn(dbname=team_db))
    assert code == 0, out
    wrong = _url(pg, team_db).replace(f":{DESK_PASSWORD}@", ":not-the-password@")
    code, out, _ = ccdesk(tmp_path, "team", "join", wrong)
    assert code == 1, out  # running again later will not mend it (6 says "unavailable, try later")
    assert "refused this desk's login" in out["error"] and "password" in out["error"], out
    assert "cannot be reached" not in out["error"] and "not-the-password" not in out["error"]


def test_sslmode_is_honoured_and_failures_are_sentences(pg: PgServer, team_dsn: str, tmp_path: Path) -> None:
    db = team_dsn.split("dbname=")[1].split()[0]
    code, out, _ = ccdesk(tmp_path, "team", "join", _url(pg, db, ssl="require"))
    assert code == 6 and "cannot be reached" in out["error"] and "SSL" in out["error"], out
    assert DESK_PASSWORD not in out["error"]

    code, out, _ = ccdesk(tmp_path, "team", "join", _url(pg, db, port=1))
    assert code == 6 and "keeps working from this desk's own copy" in out["error"]

    code, out, _ = ccdesk(tmp_path, "team", "init", _url(pg, db))  # a desk's role may not upgrade the schema
    assert code == 0  # (up to date: nothing to create)
    other = pg.new_database(f"{db}_empty")
    code, out, _ = ccdesk(tmp_path, "team", "init", _url(pg, other))
    assert code == 1 and "refused" in out["error"] and "owns the team's database" in out["error"], out

    code, out, _ = ccdesk(tmp_path, "team", "join", "this is not a dsn")
    assert code == 1 and "not a PostgreSQL address" in out["error"]

    with connect(team_dsn, autocommit=True) as conn:
        conn.execute("UPDATE ccdesk.meta SET value = '99' WHERE key = 'schema_version'")
    code, out, _ = ccdesk(tmp_path, "team", "join", _url(pg, db))
    assert code == 1 and "newer ccdesk" in out["error"] and "Update ccdesk" in out["error"]


def test_a_malformed_address_never_shows_its_password(pg: PgServer, tmp_path: Path) -> None:
    """libpq quotes what it cannot parse, sometimes the whole address: neither the terminal, the JSON answer nor
    the log may show the password it carried."""
    secret = "Zq7-secret-Pw"
    malformed = [f"postgresql://desk_a:{secret}@[::1/ccdesk?sslmode=disable",   # quoted whole by libpq
                 f"postgresql://desk_a:{secret}%zz@127.0.0.1/ccdesk",            # the bad token is the password
                 f"host=127.0.0.1 password='{secret} dbname=ccdesk",
                 f"host=127.0.0.1 dbname=ccdesk password={secret} {secret}x"]
    for dsn in malformed:
        for step in ("join", "init"):
            proc = subprocess.run([sys.executable, "-m", "ccdesk", "team", step, dsn, *(["--json"] if step == "join"
                                   else [])], env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True,
                                  timeout=120)
            shown = proc.stdout + proc.stderr
            assert proc.returncode == 1 and "not a PostgreSQL address" in shown, shown
            assert secret not in shown and "Zq7" not in shown, shown
    logs = [p for p in tmp_path.rglob("*") if p.is_file() and "log" in p.name]
    assert logs and not [p for p in logs if secret in p.read_text(errors="replace")]
