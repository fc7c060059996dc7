"""Trunk settings and the D7 dial-string template (pure; no SIP stack involved)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialback.adapters.sip.prompts import prompt_file
from dialback.adapters.sip.protocol import decode, encode
from dialback.adapters.sip.trunks import TrunkConfig, TrunkError, trunk_from_settings


def test_default_template_is_plus_number_at_host_port() -> None:
    trunk = TrunkConfig("main", "sip.carrier.example", 5080)
    assert trunk.request_uri("+74993223085") == "sip:+74993223085@sip.carrier.example:5080"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{number}@{server}", "sip:74993223085@pbx.local:5060"),
        ("8{number}@{host}", "sip:874993223085@pbx.local"),
        ("sip:00{number}@{host}:{port};user=phone", "sip:0074993223085@pbx.local:5060;user=phone"),
        ("{number}", "sip:74993223085@pbx.local:5060"),
    ],
)
def test_template_macros(template: str, expected: str) -> None:
    trunk = TrunkConfig("pbx", "pbx.local", dial_template=template)
    assert trunk.request_uri("+74993223085") == expected


def test_extensions_go_straight_to_the_server_and_transport_is_kept() -> None:
    trunk = TrunkConfig("pbx", "pbx.local", 5061, transport="tcp")
    assert trunk.request_uri("101") == "sip:101@pbx.local:5061;transport=tcp"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dial_template": "{nummer}@{host}"}, "unknown macros"),
        ({"dial_template": "{host}"}, "must contain {number}"),
        ({"port": 0}, "port must be"),
        ({"host": "bad host"}, "not a host name"),
        ({"register": True, "reg_interval": 10}, "reg_interval"),
    ],
)
def test_bad_trunk_settings_are_refused_with_the_reason(
    kwargs: dict[str, object], message: str
) -> None:
    settings = {"host": "pbx.local", **kwargs}
    with pytest.raises(TrunkError, match=message):
        trunk_from_settings("t", settings)


def test_unknown_setting_and_undialable_number_are_refused() -> None:
    with pytest.raises(TrunkError, match="unknown settings"):
        trunk_from_settings("t", {"host": "h", "pasword": "x"})
    with pytest.raises(TrunkError, match="cannot dial"):
        TrunkConfig("t", "h").request_uri("+7 499 <script>")


def test_caller_id_substitution_changes_the_from_user_not_the_credentials() -> None:
    trunk = TrunkConfig("t", "h", user="acct42", password="pw")
    plain = trunk.account(None)
    substituted = trunk.account("+16502530000")
    assert plain["user"] == "acct42" and plain["auth_user"] is None
    assert substituted["user"] == "+16502530000"
    assert substituted["auth_user"] == "acct42" and substituted["password"] == "pw"


def test_protocol_lines_round_trip_and_reject_non_objects() -> None:
    line = encode({"op": "dial", "leg": "L1"})
    assert line.endswith(b"\n") and decode(line) == {"op": "dial", "leg": "L1"}
    with pytest.raises(ValueError):
        decode(b"[1, 2]")
    with pytest.raises(ValueError):
        decode(b"not json")


def test_prompts_are_generated_once_and_company_files_win(tmp_path: Path) -> None:
    path = prompt_file(tmp_path, "press_5")
    assert path.stat().st_size > 1000
    custom = tmp_path / "connecting.wav"
    custom.write_bytes(b"RIFF-company-recording")
    assert prompt_file(tmp_path, "connecting") == custom
    with pytest.raises(ValueError):
        prompt_file(tmp_path, "../etc/passwd")
