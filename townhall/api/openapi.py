"""The OpenAPI 3.1 document, built from the same endpoint table as the router.

Schemas are pydantic's JSON Schema (2020-12, which OpenAPI 3.1 adopts as is), so the
document describes exactly what the server validates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from townhall.api.context import Endpoint
from townhall.api.errors import CODES
from townhall.api.models import Error

__all__ = ["openapi_document"]

REF = "#/components/schemas/{model}"
SHARED_ERRORS = ("payload_too_large",)


def _status_of(code: str) -> int:
    return CODES[code][0] if code in CODES else 409


def _responses(endpoint: Endpoint, refs: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    success: dict[str, Any] = {"description": endpoint.summary}
    if endpoint.status != 204:
        content: dict[str, Any] = {}
        for media in endpoint.media:
            if media == "application/json" and endpoint.response is not None:
                content[media] = {"schema": refs[endpoint.response]}
            elif media == "application/json":
                content[media] = {"schema": {"type": "object"}}
            elif media == "application/pdf":
                content[media] = {"schema": {"type": "string", "contentEncoding": "binary"}}
            else:
                content[media] = {"schema": {"type": "string"}}
        success["content"] = content
    responses: dict[str, Any] = {str(endpoint.status): success}
    codes = list(endpoint.errors)
    if endpoint.auth:
        codes.insert(0, "unauthorized")
    if endpoint.body is not None:
        codes += ["invalid_request", "unsupported_media_type", *SHARED_ERRORS]
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(_status_of(code), []).append(code)
    for status, names in sorted(by_status.items()):
        responses[str(status)] = {
            "description": "Error codes: " + ", ".join(f"`{n}`" for n in names),
            "content": {"application/json": {"schema": refs[Error]}},
        }
    return responses


def _operation(endpoint: Endpoint, refs: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": endpoint.name,
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "responses": _responses(endpoint, refs),
    }
    if endpoint.description:
        operation["description"] = endpoint.description
    if endpoint.params:
        operation["parameters"] = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
            for p in endpoint.params
        ]
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": endpoint.body_required,
            "content": {"application/json": {"schema": refs[endpoint.body]}},
        }
    if endpoint.raw_body:
        binary = {"schema": {"type": "string", "format": "binary"}}
        operation["requestBody"] = {
            "required": True,
            "content": dict.fromkeys(endpoint.raw_body, binary),
        }
        operation.setdefault("parameters", []).append(
            {"name": "filename", "in": "query", "required": False, "schema": {"type": "string"}}
        )
    operation["security"] = [{"organiserKey": []}] if endpoint.auth else []
    return operation


def openapi_document(endpoints: Sequence[Endpoint], *, version: str, server: str) -> dict[str, Any]:
    models: list[type[BaseModel]] = [Error]
    for endpoint in endpoints:
        for model in (endpoint.body, endpoint.response):
            if model is not None and model not in models:
                models.append(model)
    # Request bodies are described as accepted (validation), answers as produced.
    bodies = {e.body for e in endpoints if e.body is not None}
    keyed, defs = models_json_schema(
        [(m, "validation" if m in bodies else "serialization") for m in models],
        ref_template=REF,
    )
    refs: dict[Any, dict[str, Any]] = {model: schema for (model, _), schema in keyed.items()}
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Townhall organiser API",
            "version": version,
            "description": (
                "Create and manage town halls, hand out role links and export minutes. "
                "Errors are JSON objects with a stable `code`."
            ),
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "organiserKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A key from `townhall keys create`, or TOWNHALL_ORGANISER_KEY.",
                }
            },
        },
    }
