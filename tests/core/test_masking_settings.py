from __future__ import annotations

import pytest

from manyi.core.masking import mask_id_number, mask_phone
from manyi.core.settings import get_settings, reset_settings


@pytest.mark.parametrize(
    ("raw", "masked"),
    [("13812345678", "138****5678"), ("", ""), (None, None), ("12345", "*****")],
)
def test_mask_phone(raw: str | None, masked: str | None) -> None:
    assert mask_phone(raw) == masked


def test_mask_id_number_keeps_region_and_tail() -> None:
    assert mask_id_number("330106199001011234") == "330106********1234"


def test_settings_from_environment_and_config_file(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "manyi.yaml"
    cfg.write_text("database_url: sqlite:///from-file.db\nport: 9001\n", encoding="utf-8")
    monkeypatch.setenv("MANYI_CONFIG", str(cfg))
    monkeypatch.setenv("MANYI_PORT", "9002")
    reset_settings()
    try:
        settings = get_settings()
        assert settings.database_url == "sqlite:///from-file.db"
        assert settings.port == 9002  # environment overrides the file
    finally:
        reset_settings()


def test_config_file_must_be_a_mapping(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("- just\n- a list\n", encoding="utf-8")
    monkeypatch.setenv("MANYI_CONFIG", str(cfg))
    reset_settings()
    try:
        with pytest.raises(ValueError, match="expected a mapping"):
            get_settings()
    finally:
        reset_settings()
