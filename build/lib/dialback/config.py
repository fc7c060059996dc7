"""Settings: a TOML config file, overridden by DIALBACK_* environment variables."""

from __future__ import annotations

import os
import socket
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DIALBACK_", extra="forbid")

    database_url: str = "sqlite:///./dialback.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # This node's name; jobs it claims are owned by "<node_id>/<incarnation>" (X4).
    node_id: str = Field(default_factory=socket.gethostname)
    # A key for the admin API, created at start-up when not yet stored.
    admin_key: str | None = None
    # "sim": the simulated network (X3); "sip": real trunks through the SIP pool.
    telephony: Literal["sim", "sip"] = "sim"
    sip_interface: str = "127.0.0.1"
    sip_workers: int = Field(default=2, ge=1, le=32)
    sip_first_port: int = Field(default=5070, ge=1024, le=65000)
    sip_rtp_first: int = Field(default=20000, ge=1024, le=65000)
    sip_rtp_last: int = Field(default=29999, ge=1024, le=65535)
    prompts_dir: Path = Path("prompts")
    sim_seed: int = 1
    # A JSON file of scripted subscribers for the simulated network (tests, demos).
    sim_population: Path | None = None
    # The simulated network's own append-only call log (JSON lines).
    sim_call_log: Path | None = None
    recordings_dir: Path = Path("recordings")
    lease_seconds: float = Field(default=60, gt=0)
    poll_seconds: float = Field(default=1.0, gt=0)
    max_concurrent_attempts: int = Field(default=50, ge=1)
    log_level: str = "INFO"


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from ``config_file`` (TOML), then environment, then ``overrides``."""
    values: dict[str, Any] = {}
    if config_file is not None:
        with config_file.open("rb") as fh:
            values = tomllib.load(fh)
    # Environment variables win over the file; explicit overrides win over both.
    env_keys = {k[len("DIALBACK_") :].lower() for k in os.environ if k.startswith("DIALBACK_")}
    for key in env_keys:
        values.pop(key, None)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)
