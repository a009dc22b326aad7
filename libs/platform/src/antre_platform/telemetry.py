"""OpenTelemetry set up once per process: traces for HTTP, PostgreSQL, httpx and Kafka.

Spans are exported over OTLP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (the compose
observability profile sets it); otherwise they are still created, so trace context
still crosses HTTP and Kafka, and nothing is exported.
"""

import os

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def setup_tracing(service: str) -> trace.TracerProvider:
    """The process's tracer provider, created on first call and shared afterwards."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = TracerProvider(resource=Resource.create({"service.name": f"antre-{service}"}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    for instrumentor in (AsyncPGInstrumentor(), HTTPXClientInstrumentor()):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument()
    return provider


def instrument_app(app: FastAPI, provider: trace.TracerProvider) -> None:
    # Citizen status links carry the ticket's access token in the path or the query; their
    # requests are not traced, so the token never lands in a span.
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, excluded_urls="healthz,readyz,/t/,token="
    )
