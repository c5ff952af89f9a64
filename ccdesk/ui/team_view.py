"""The window in team mode: the contact table follows the team's changes as they arrive, and a lost team database
is said plainly (the desk keeps working from its own copy)."""

from __future__ import annotations

from typing import Any

from ccdesk.wording import plural

from .team_settings import team_status_text


def install_team_view(window: Any, desk: Any, gate: Any = None) -> None:
    """Connect the desk's TeamLink (if any) to the window and to Settings → Team."""
    team = desk.team
    if team is None:
        return

    def status() -> str:
        return team_status_text(team.online, team.problem, team.holds_lease, team.settings.desk_name)

    def changed(exchanged: Any) -> None:
        window.after_change()
        n = len(exchanged.changed)
        window.statusBar().showMessage(f"{plural(n, 'change')} from the team applied to this desk's copy.", 8000)

    def reachability() -> None:
        if team.problem:
            window.status.show_notice(status())
        else:
            window.status.show_notice("")
            window.statusBar().showMessage(status(), 8000)

    team.changed.connect(changed)
    team.state_changed.connect(reachability)
    if gate is not None:
        gate.team_status = status
