"""The served OpenAPI description matches the bridge: routes, methods, statuses, answers."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bridge import errors
from bridge.app import create_app
from tests import SECRET

AUTH = {"Authorization": f"Bearer {SECRET}"}
CONFORMANCE = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
WEBHOOK_PATHS = ("/webhooks/docink", "/webhooks/docink/{secret}")


def _subclasses(cls: type) -> set[type]:
    return {sub for direct in cls.__subclasses__() for sub in {direct, *_subclasses(direct)}}


def test_served_as_json_and_yaml(client):
    as_json = client.get("/openapi.json")
    as_yaml = client.get("/openapi.yaml")
    assert as_json.status_code == as_yaml.status_code == 200
    assert as_json.json == yaml.safe_load(as_yaml.get_data(as_text=True))
    assert as_json.json["openapi"].startswith("3.")


def test_every_route_is_described_and_every_description_is_a_route(app, client):
    spec = client.get("/openapi.json").json
    described = {(path, method.upper()) for path, item in spec["paths"].items() for method in item}
    routed = {
        (re.sub(r"<(?:\w+:)?\w+>", "{secret}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert described == routed


def test_every_error_status_of_the_bridge_is_described(client):
    spec = client.get("/openapi.json").json
    statuses = {str(cls.status) for cls in _subclasses(errors.BridgeError)} | {"200", "202"}
    for path in WEBHOOK_PATHS:
        assert set(spec["paths"][path]["post"]["responses"]) == statuses


@pytest.fixture
def limited_app(settings, registry, publisher):
    """Tight limits, so that 429 answers are generated and checked against the description."""
    return create_app(
        replace(settings, rate_limit_per_org="20/minute"), publisher=publisher, registry=registry
    )


def test_answers_conform_to_the_description(limited_app):
    """Schemathesis, in-process against a recording publisher: every answer is described."""
    schema = schemathesis.openapi.from_wsgi("/openapi.json", limited_app)
    tried = 0
    for path in (*WEBHOOK_PATHS, "/healthz", "/readyz", "/openapi.json"):
        method = "POST" if path in WEBHOOK_PATHS else "GET"
        operation = schema[path][method]
        strategy = operation.as_strategy(
            path_parameters={"secret": SECRET} if "{secret}" in path else None
        )

        @given(case=strategy)
        @settings(
            max_examples=40, deadline=None, database=None,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        def check(case) -> None:
            nonlocal tried
            tried += 1
            response = case.call(headers=AUTH)
            assert response.status_code < 500, response.text
            case.validate_response(response, checks=CONFORMANCE)

        check()
    print(f"openapi conformance: {tried} generated requests")
