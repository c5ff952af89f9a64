from __future__ import annotations

from ccdesk.ui.single_instance import SingleInstance


def test_second_instance_hands_over_to_the_first(qtbot) -> None:
    first = SingleInstance("test-mode")
    assert first.claim()
    second = SingleInstance("test-mode")
    with qtbot.waitSignal(first.raise_requested, timeout=3000):
        assert not second.claim()
