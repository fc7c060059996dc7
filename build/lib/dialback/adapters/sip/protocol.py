"""The line protocol between the SIP pool (parent) and its worker processes.

One JSON object per line on the worker's stdin (commands) and stdout (events).
Media never crosses it: bridging, prompts and recording happen inside the
worker, next to the audio; only decisions and outcomes travel.

Commands (parent -> worker), each with an "op":
  dial      leg, uri, account{user, domain, password, auth_user, transport}, headers
  answer    leg                 (an incoming call)
  reject    leg                 (an incoming call: 486)
  hangup    leg
  play      leg, file (8 kHz 16-bit mono WAV)
  bridge    a, b
  record    a, b, path
  dtmf      leg, digits
  transfer  leg, uri            (blind transfer by REFER)
  register  id, account{...}, registrar, interval
  stop

Events (worker -> parent), each with an "ev":
  ready      port
  incoming   leg, caller, call_id                          a call to us
  ringing    leg, code (180/183)
  answered   leg
  failed     leg, code (0 = no SIP response), reason       before answer
  ended      leg, reason, rx_rms, rx_seconds                after answer
  dtmf       leg, digit
  amd        leg, decision, at_ms, reason, beep_ms            V1 verdict, once
  transfer   leg, ok, reason
  registered id, ok, code, reason
  error      op, leg, message    (a command that could not be carried out)
"""

from __future__ import annotations

import json
from typing import Any


def encode(message: dict[str, Any]) -> bytes:
    return (json.dumps(message, separators=(",", ":")) + "\n").encode()


def decode(line: bytes) -> dict[str, Any]:
    """Parse one line; raises ValueError on anything that is not a JSON object."""
    value = json.loads(line)
    if not isinstance(value, dict):
        raise ValueError("a protocol line must be a JSON object")
    return value
