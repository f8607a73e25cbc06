"""The browser test skips without Chromium locally but fails in CI, where KEMPEN_REQUIRE_BROWSER=1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web import test_browser


def test_a_missing_browser_is_skipped_locally_and_fails_when_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(test_browser, "CHROMIUM", Path("/nonexistent/chromium"))
    monkeypatch.delenv("KEMPEN_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception):
        test_browser._require_browser()
    monkeypatch.setenv("KEMPEN_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception):
        test_browser._require_browser()
