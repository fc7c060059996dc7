"""`dialback demo` serves the API, and a callback ordered over HTTP reaches a conversation."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_connects_a_callback_ordered_over_http(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with (tmp_path / "demo.log").open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dialback.cli",
                "demo",
                "--port",
                str(port),
                "--data",
                str(tmp_path / "data"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (tmp_path / "demo.log").read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "demo did not start"
            time.sleep(0.1)
        assert "widget key: wk_demo" in (tmp_path / "demo.log").read_text()
        r = httpx.post(
            f"{base}/api/v1/callbacks",
            headers={"X-API-Key": "wk_demo"},
            json={"phone": "+1 650 253 0001"},
            timeout=5,
        )
        assert r.status_code == 201, r.text
        rid = r.json()["id"]
        deadline = time.monotonic() + 60
        while True:
            card = httpx.get(
                f"{base}/api/v1/callbacks/{rid}", headers={"X-API-Key": "demo-admin-key"}, timeout=5
            ).json()
            if card["state"] == "connected":
                break
            assert card["state"] in ("scheduled", "in_progress"), card
            assert time.monotonic() < deadline, card
            time.sleep(0.25)
        legs = card["attempts"][-1]["legs"]
        client = [leg for leg in legs if leg["role"] == "client"]
        assert client and client[0]["answered_at"] is not None
        assert any(leg["role"] == "manager" and leg["outcome"] == "answered_human" for leg in legs)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
