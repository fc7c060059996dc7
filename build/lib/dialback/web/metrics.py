"""Prometheus metrics of one app (X5), on a registry of its own, not the global one.

Counters are bumped by the routes; gauges are read from the database and the
engine at scrape time, so every node reports the shared truth.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from dialback.adapters.db.tables import CallbackRequest
from dialback.bootstrap import Container
from dialback.domain.calls import RequestState

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


class _LiveCollector(Collector):
    """Gauges computed when scraped: requests by state, running attempts."""

    def __init__(self, container: Container) -> None:
        self._container = container

    def collect(self) -> Iterable[Metric]:
        by_state = GaugeMetricFamily(
            "dialback_requests", "Callback requests by state", labels=["state"]
        )
        rows: Sequence[Any]
        try:
            with self._container.sessions() as s:
                rows = s.execute(
                    select(CallbackRequest.state, func.count(CallbackRequest.id)).group_by(
                        CallbackRequest.state
                    )
                ).all()
        except SQLAlchemyError as exc:  # /readyz reports the database; keep the rest up
            log.warning("metrics: cannot count requests: %s", exc)
            rows = []
        counts = {state: int(n) for state, n in rows}
        for state in RequestState:
            by_state.add_metric([state.value], counts.pop(state.value, 0))
        for unknown, n in counts.items():  # a state this code does not know yet
            by_state.add_metric([unknown], n)
        yield by_state
        yield GaugeMetricFamily(
            "dialback_engine_running_attempts",
            "Callback attempts this node's engine is running now",
            value=self._container.engine.running,
        )


class ApiMetrics:
    def __init__(self, container: Container) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.ordered = Counter(
            "dialback_callbacks_ordered",
            "Callback requests accepted through the API",
            registry=self.registry,
        )
        self.rejected = Counter(
            "dialback_callbacks_rejected",
            "Callback orders refused through the API, by reason",
            labelnames=["reason"],
            registry=self.registry,
        )
        self.registry.register(_LiveCollector(container))

    def render(self) -> bytes:
        return generate_latest(self.registry)
