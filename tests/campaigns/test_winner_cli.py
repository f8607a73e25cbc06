"""`kempen campaign create --winner …`, `kempen campaign winner` and `kempen campaign pick-winner`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.campaigns.conftest import HTML, World
from tests.campaigns.test_cli import invoke

pytestmark = pytest.mark.usefixtures("db")


def test_settings_from_the_command_line(world: World, tmp_path: Path) -> None:
    code, output = invoke(world, "create", "--name", "Spring", "--segment", "everyone", "--winner", "click_rate",
                          "--test-percent", "25", "--wait", "90m", "--fallback", "none")
    assert code == 0, output
    campaign_id = output.split("#")[1].split()[0]
    code, output = invoke(world, "show", campaign_id)
    assert code == 0 and "automatic winner: test on 25 % for 1 h 30 min, then the best click rate" in output
    assert "send nothing more" in output
    code, output = invoke(world, "winner", campaign_id, "--metric", "open_rate", "--wait", "2d")
    assert code == 0 and "test on 25 % for 2 d, then the best open rate" in output, output
    code, output = invoke(world, "winner", campaign_id, "--wait", "8d")
    assert code == 1 and "error: --wait: '8d' is outside 30 minutes to 7 days." in output
    code, output = invoke(world, "winner", campaign_id, "--wait", "soon")
    assert code == 1 and "is not a duration" in output
    code, output = invoke(world, "winner", campaign_id, "--test-percent", "60")
    assert code == 2
    code, output = invoke(world, "winner", campaign_id, "--metric", "click_rate", "--off")
    assert code == 1 and "not both" in output
    code, output = invoke(world, "winner", campaign_id, "--off")
    assert code == 0 and "automatic winner: off" in output


def test_pick_the_winner_from_the_command_line(world: World, tmp_path: Path) -> None:
    html = tmp_path / "news.html"
    html.write_text(HTML, encoding="utf-8")
    code, output = invoke(world, "create", "--name", "Spring", "--segment", "everyone", "--winner", "click_rate")
    campaign_id = output.split("#")[1].split()[0]
    for subject in ("A", "B"):
        code, output = invoke(world, "add-email", campaign_id, "--subject", subject, "--html-file", str(html))
        assert code == 0, output
    code, output = invoke(world, "pick-winner", campaign_id)
    assert code == 1 and "only while it is running or paused" in output
    code, output = invoke(world, "launch", campaign_id)
    assert code == 0 and "automatic winner: 0 wait for the winner, picked at " in output, output
    code, output = invoke(world, "show", campaign_id)
    assert "decides at " in output
    code, output = invoke(world, "pick-winner", campaign_id)
    assert code == 0 and "the test share has no results to compare; the first variant, A, sent to the remaining 0" \
        in output, output
    code, output = invoke(world, "pick-winner", campaign_id)
    assert code == 1 and "decided already" in output
