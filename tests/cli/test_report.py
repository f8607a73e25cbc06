"""`kempen report campaign|channels` and `kempen spend import|list` against the hand-built campaign."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from kempen.attribution.types import AttributedCredit
from kempen.cli.main import app
from kempen.kit.errors import InvalidInput
from tests.conftest import Tenant
from tests.reporting.conftest import Built, built, credits  # noqa: F401  (the hand-built campaign's fixtures)

runner = CliRunner()


def run(tenant: Tenant, *args: str) -> tuple[int, str, BaseException | None]:
    result = runner.invoke(app, [*args, "--workspace", tenant.workspace.slug])
    return result.exit_code, result.output, result.exception


def test_report_campaign_text_json_and_csv(tenant: Tenant, built: Built,  # noqa: F811
                                          credits: list[AttributedCredit]) -> None:  # noqa: F811
    code, out, _ = run(tenant, "report", "campaign", str(built.campaign_id))
    assert code == 0, out
    assert "Spring" in out and "Channels" in out and "Paid search" in out and "57.1" in out, out
    code, out, _ = run(tenant, "report", "campaign", str(built.campaign_id), "--format", "json")
    data = json.loads(out)
    assert data["totals"]["delivered"] == 7 and data["totals"]["revenue"] == "150.00"
    code, out, _ = run(tenant, "report", "campaign", str(built.campaign_id), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["Name"] for r in rows if r["Table"] == "Channels"] == ["Email", "Paid search", "SMS"]


def test_report_channels(tenant: Tenant, built: Built,  # noqa: F811
                         credits: list[AttributedCredit]) -> None:  # noqa: F811
    code, out, _ = run(tenant, "report", "channels", "--since", "2026-02-01", "--until", "2026-03-31",
                       "--format", "json")
    assert code == 0, out
    assert {r["key"] for r in json.loads(out)["rows"]} == {"email", "sms", "paid_search"}
    code, _, error = run(tenant, "report", "channels", "--since", "March")
    assert code != 0 and isinstance(error, InvalidInput)


def test_spend_import_and_list(tmp_path: Path, tenant: Tenant, built: Built) -> None:  # noqa: F811
    file = tmp_path / "ads.csv"
    file.write_text("date,channel,amount\n2026-03-04,display,3.50\n2026-03-05,display,4\n")
    code, out, _ = run(tenant, "spend", "import", str(file), "--campaign", str(built.campaign_id))
    assert code == 0, out
    assert "2 rows" in out and "EUR 7.50" in out
    code, out, _ = run(tenant, "spend", "list", "--campaign", str(built.campaign_id))
    assert "2026-03-05" in out and "display" in out and "EUR 4.00" in out
    file.write_text("date,channel,amount\nyesterday,display,3.50\n")
    code, _, error = run(tenant, "spend", "import", str(file), "--campaign", str(built.campaign_id))
    assert code != 0 and isinstance(error, InvalidInput) and "Row 2" in error.detail


def _pdf_text(body: bytes) -> str:
    import pypdfium2

    document = pypdfium2.PdfDocument(body)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def test_report_campaign_as_pdf_needs_a_file_and_writes_it_whole(tmp_path: Path, tenant: Tenant,
                                                                 built: Built,  # noqa: F811
                                                                 credits: list[AttributedCredit]) -> None:  # noqa: F811
    code, _, error = run(tenant, "report", "campaign", str(built.campaign_id), "--format", "pdf")
    assert code != 0 and isinstance(error, InvalidInput) and "--output" in error.detail
    target = tmp_path / "spring.pdf"
    code, out, _ = run(tenant, "report", "campaign", str(built.campaign_id), "--format", "pdf", "-o", str(target))
    assert code == 0, out
    body = target.read_bytes()
    assert body.startswith(b"%PDF-") and "Spring" in _pdf_text(body) and str(target) in out
    assert [p.name for p in tmp_path.iterdir()] == ["spring.pdf"]  # no partial file left behind
    code, _, error = run(tenant, "report", "campaign", str(built.campaign_id), "--format", "pdf",
                         "-o", str(tmp_path / "missing" / "x.pdf"))
    assert code != 0 and isinstance(error, InvalidInput) and "Could not write" in error.detail


def test_report_campaign_json_to_a_file(tmp_path: Path, tenant: Tenant, built: Built,  # noqa: F811
                                        credits: list[AttributedCredit]) -> None:  # noqa: F811
    target = tmp_path / "report.json"
    code, out, _ = run(tenant, "report", "campaign", str(built.campaign_id), "--format", "json", "-o", str(target))
    assert code == 0 and out == ""
    assert json.loads(target.read_text())["totals"]["delivered"] == 7
