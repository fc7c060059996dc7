"""Trunk settings and the dial-string template (SPEC C5, C6, D7)."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

DEFAULT_TEMPLATE = "+{number}@{host}:{port}"  # D7
MACROS = frozenset({"number", "host", "port", "server"})
_SIP_USER = re.compile(r"^[A-Za-z0-9+*#._~!$&'()=,;?/-]+$")


class TrunkError(ValueError):
    """Trunk settings that cannot be used, with the field that is wrong."""


@dataclass(frozen=True)
class TrunkConfig:
    """One carrier trunk or PBX: where INVITEs go, and how we authenticate.

    ``host``/``port`` is the registrar/proxy; ``user``/``password``/``auth_user``
    the digest credentials; ``register`` turns on REGISTER with automatic
    refresh every ``reg_interval`` seconds (0 = trunk by IP, no registration).
    ``dial_template`` builds the request URI's user@host part from the macros
    ``{number}`` (E.164 digits without "+"), ``{host}``, ``{port}`` and
    ``{server}`` (host:port).
    """

    name: str
    host: str
    port: int = 5060
    transport: Literal["udp", "tcp", "tls"] = "udp"
    user: str = "dialback"
    password: str = ""
    auth_user: str | None = None
    register: bool = False
    reg_interval: int = 600
    dial_template: str = DEFAULT_TEMPLATE

    def __post_init__(self) -> None:
        if not self.host or any(c in self.host for c in " \r\n;<>@"):
            raise TrunkError(f"trunk {self.name}: host {self.host!r} is not a host name")
        if not 1 <= self.port <= 65535:
            raise TrunkError(f"trunk {self.name}: port must be 1..65535")
        if self.register and self.reg_interval < 60:
            raise TrunkError(f"trunk {self.name}: reg_interval must be at least 60 s")
        fields = {f for _, f, _, _ in string.Formatter().parse(self.dial_template) if f}
        unknown = fields - MACROS
        if unknown:
            raise TrunkError(
                f"trunk {self.name}: dial_template uses unknown macros {sorted(unknown)}; "
                f"use {{number}}, {{host}}, {{port}}, {{server}}"
            )
        if "number" not in fields:
            raise TrunkError(f"trunk {self.name}: dial_template must contain {{number}}")

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"

    def request_uri(self, number: str) -> str:
        """The SIP URI to INVITE for ``number``: E.164 ("+7...") through the
        template, an extension ("101") straight to the trunk's server."""
        digits = number[1:] if number.startswith("+") else number
        if not digits or not _SIP_USER.match(digits):
            raise TrunkError(f"cannot dial {number!r}: not a number or extension")
        if number.startswith("+"):
            target = self.dial_template.format(
                number=digits, host=self.host, port=self.port, server=self.server
            )
        else:
            # An internal extension (a manager's desk phone): as-is to the PBX.
            target = f"{digits}@{self.server}"
        if "@" not in target:
            target = f"{target}@{self.server}"
        uri = target if target.startswith(("sip:", "sips:")) else f"sip:{target}"
        if self.transport != "udp" and ";transport=" not in uri:
            uri += f";transport={self.transport}"
        return uri

    def account(self, caller_id: str | None) -> dict[str, Any]:
        """The identity to call from: the trunk's user, or the substituted caller ID (C6)."""
        return {
            "user": caller_id or self.user,
            "domain": self.server,
            "password": self.password,
            "auth_user": self.auth_user or (self.user if caller_id else None),
            "transport": self.transport,
        }


def trunk_from_settings(name: str, settings: Mapping[str, Any]) -> TrunkConfig:
    """Build a trunk from its stored JSON settings (``Trunk.settings``)."""
    allowed = {
        "host",
        "port",
        "transport",
        "user",
        "password",
        "auth_user",
        "register",
        "reg_interval",
        "dial_template",
    }
    unknown = set(settings) - allowed
    if unknown:
        raise TrunkError(f"trunk {name}: unknown settings {sorted(unknown)}")
    if "host" not in settings:
        raise TrunkError(f"trunk {name}: settings need a host")
    try:
        return TrunkConfig(name=name, **dict(settings))
    except TypeError as exc:
        raise TrunkError(f"trunk {name}: {exc}") from exc
