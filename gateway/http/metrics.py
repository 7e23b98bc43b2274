"""Prometheus metrics of one application, in a registry of its own (never the global one), so
that several apps in one process (tests) do not share counters. Served at GET /metrics.

Labels carry routes, statuses, codes and outcomes; never a facility, an id or a value from a
document (cardinality, and personal data).
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class Metrics:
    """The application's instruments."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    rejections: Counter
    documents: Counter
    processing: Histogram
    notices: Counter
    inbox_files: Counter
    component_up: Gauge
    intake_waiting: Gauge

    def render(self) -> bytes:
        """The text exposition format of every metric of this app."""
        return generate_latest(self.registry)


def make_metrics() -> Metrics:
    """A fresh registry with the gateway's HTTP metrics."""
    registry = CollectorRegistry(auto_describe=True)
    return Metrics(
        registry=registry,
        requests=Counter("gateway_http_requests", "HTTP requests answered",
                         ("method", "route", "status"), registry=registry),
        latency=Histogram("gateway_http_request_duration_seconds", "Time to answer a request",
                          ("route",), registry=registry,
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)),
        rejections=Counter("gateway_http_rejections", "Refused requests by error code",
                           ("code",), registry=registry),
        documents=Counter("gateway_intake_documents", "Documents received, by outcome",
                          ("outcome", "document_type"), registry=registry),
        processing=Histogram("gateway_intake_processing_seconds",
                             "CPU-bound intake work per document (parse, validate, signature)",
                             registry=registry,
                             buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)),
        notices=Counter("gateway_callback_notices", "Callback notices, by outcome",
                        ("outcome",), registry=registry),
        inbox_files=Counter("gateway_inbox_files", "Watched-folder files, by outcome",
                            ("outcome",), registry=registry),
        component_up=Gauge("gateway_component_running", "1 while a background component runs",
                           ("component",), registry=registry),
        intake_waiting=Gauge("gateway_intake_waiting",
                             "Documents waiting for the checks (503 intake.busy beyond [intake] max_waiting)",
                             registry=registry),
    )
