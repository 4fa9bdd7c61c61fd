"""``GET /openapi.json`` and ``/openapi.yaml``: the description of this HTTP interface.

The description is the static ``openapi.yaml`` beside this module; tests check that it matches
the routes and the answers they give.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, Response

SPEC_PATH = Path(__file__).with_name("openapi.yaml")
blueprint = Blueprint("openapi", __name__)


@cache
def spec_text() -> str:
    return SPEC_PATH.read_text(encoding="utf-8")


@cache
def spec() -> dict[str, Any]:
    """The OpenAPI document as parsed (shared: never mutate it)."""
    return yaml.safe_load(spec_text())


@blueprint.get("/openapi.json")
def openapi_json() -> dict[str, Any]:
    return spec()


@blueprint.get("/openapi.yaml")
def openapi_yaml() -> Response:
    return Response(spec_text(), mimetype="application/yaml")
