"""`kempen objective …` and `kempen programme …`: add, list, remove, create, show, assign; errors in one line."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kempen.cli.main import app
from tests.campaigns.conftest import World, fresh_world

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("db")


def invoke(world: World, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--workspace", world.slug])
    return result.exit_code, result.output


@pytest.fixture
def world(session: Session) -> World:
    return fresh_world(session)


def test_objectives_add_list_remove(world: World) -> None:
    campaign = world.campaign()  # comes with one objective (100 conversions by 2100-01-01)
    code, output = invoke(world, "objective", "add", "--campaign", str(campaign.id), "--metric", "named_conversion",
                          "--conversion", "sign_up", "--baseline", "2", "--target", "40", "--deadline", "2100-06-30")
    assert code == 0, output
    assert "added to campaign" in output and "“sign_up” conversions, target 40 by 2100-06-30" in output
    assert "warning: The target is more than 10× the baseline" in output
    new_id = int(output.split("#")[1].split()[0])
    code, output = invoke(world, "objective", "list", "--campaign", str(campaign.id), "--json")
    listed = json.loads(output)
    assert code == 0 and [o["metric"] for o in listed] == ["conversions", "named_conversion"]
    assert listed[1]["id"] == new_id and listed[1]["verdict"] == "not_started"
    code, output = invoke(world, "objective", "list", "--campaign", str(campaign.id))
    assert code == 0 and f"#{new_id}: Not started: the target is 40 “sign_up” conversions by 30 June 2100." in output
    code, output = invoke(world, "objective", "remove", str(new_id))
    assert code == 0 and f"objective #{new_id} removed" in output
    code, output = invoke(world, "objective", "remove", str(new_id))
    assert code == 1 and output.strip() == f"error: No objective {new_id} here."


def test_objective_errors_are_one_line(world: World) -> None:
    campaign = world.campaign()
    code, output = invoke(world, "objective", "add", "--campaign", str(campaign.id), "--metric", "clicks",
                          "--target", "10", "--deadline", "2001-01-01")
    assert code == 1 and output.startswith("error: The deadline 2001-01-01 is in the past")
    code, output = invoke(world, "objective", "add", "--metric", "clicks", "--target", "10", "--deadline",
                          "2100-01-01")
    assert code == 1 and output.strip() == "error: Give either --campaign ID or --programme ID."
    code, output = invoke(world, "objective", "add", "--campaign", str(campaign.id), "--metric", "clicks",
                          "--target", "lots", "--deadline", "2100-01-01")
    assert code == 1 and output.startswith("error: target:") and len(output.strip().splitlines()) == 1


def test_programmes_create_assign_show(world: World) -> None:
    campaign = world.campaign(name="Spring mail")
    code, output = invoke(world, "programme", "create", "Spring relaunch", "--budget", "1500", "--starts",
                          "2100-03-01")
    assert code == 0 and "'Spring relaunch' created" in output
    pid = output.split("#")[1].split()[0]
    code, output = invoke(world, "programme", "create", "Spring relaunch")
    assert code == 1 and "already exists" in output
    code, output = invoke(world, "programme", "assign", pid, str(campaign.id))
    assert code == 0 and f"campaign #{campaign.id} now in programme #{pid}" in output
    code, output = invoke(world, "objective", "add", "--programme", pid, "--metric", "revenue", "--target",
                          "5000", "--deadline", "2100-05-31")
    assert code == 0, output
    code, output = invoke(world, "programme", "show", pid)
    assert code == 0 and "Spring mail" in output and "budget EUR 1,500.00, 0 % used, EUR 1,500.00 left" in output
    assert "Not started: the target is EUR 5,000.00 revenue by 31 May 2100." in output
    code, output = invoke(world, "programme", "list", "--json")
    assert [(p["name"], p["campaigns"]) for p in json.loads(output)["items"]] == [("Spring relaunch", 1)]
    code, output = invoke(world, "programme", "assign", pid, str(campaign.id), "--remove")
    assert code == 0 and "taken out of" in output
    code, output = invoke(world, "programme", "show", "999999999")
    assert code == 1 and output.strip() == "error: No programme 999999999 in this workspace."


def test_objective_edit(world: World) -> None:
    campaign = world.campaign()
    code, output = invoke(world, "objective", "list", "--campaign", str(campaign.id), "--json")
    objective_id = json.loads(output)[0]["id"]
    code, output = invoke(world, "objective", "edit", str(objective_id), "--target", "250", "--deadline", "2100-03-31")
    assert code == 0 and f"objective #{objective_id} changed: target 250 by 2100-03-31" in output, output
    listed = json.loads(invoke(world, "objective", "list", "--campaign", str(campaign.id), "--json")[1])
    assert float(listed[0]["target"]) == 250 and listed[0]["deadline"] == "2100-03-31"
    code, output = invoke(world, "objective", "edit", str(objective_id))
    assert code == 1 and output.startswith("error: Nothing to change")
    code, output = invoke(world, "objective", "edit", str(objective_id), "--target", "0")
    assert code == 1 and len(output.strip().splitlines()) == 1, output
    code, output = invoke(world, "objective", "edit", "999999", "--target", "5")
    assert code == 1 and output.strip() == "error: No objective 999999 here."
