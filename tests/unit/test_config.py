from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from dialback.config import load_settings


def test_file_then_environment_then_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "dialback.toml"
    cfg.write_text('database_url = "sqlite:///file.db"\nport = 9000\nnode_id = "from-file"\n')
    monkeypatch.setenv("DIALBACK_PORT", "9100")
    settings = load_settings(cfg, host="127.0.0.2")
    assert settings.database_url == "sqlite:///file.db"
    assert settings.port == 9100  # the environment wins over the file
    assert settings.host == "127.0.0.2"  # explicit arguments win over both
    assert settings.node_id == "from-file"


def test_unknown_or_bad_settings_are_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "dialback.toml"
    cfg.write_text("prot = 80\n")
    with pytest.raises(ValidationError, match="prot"):
        load_settings(cfg)
    cfg.write_text("port = 0\n")
    with pytest.raises(ValidationError, match="port"):
        load_settings(cfg)
