from __future__ import annotations

import json
import logging
import sys

from dialback.logs import JsonFormatter


def test_log_lines_are_json_even_with_quotes_and_tracebacks() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "dialback.x", logging.ERROR, __file__, 1, 'leg "%s" failed', ("7",), exc_info
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["msg"] == 'leg "7" failed'
    assert entry["level"] == "ERROR" and entry["logger"] == "dialback.x"
    assert "ValueError: boom" in entry["exc"]
