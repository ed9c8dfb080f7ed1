"""Check JSON documents against the API's own OpenAPI 3.1 schema (the subset django-ninja emits).

schemathesis and jsonschema are not installed; this covers what our schemas use: ``$ref``,
``anyOf``, ``type`` (object, array, string, integer, number, boolean, null), ``properties``,
``required``, ``items``, ``additionalProperties``, ``enum``, ``format: date``.
"""

from __future__ import annotations

import datetime
from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _type_errors(value: Any, schema: dict[str, Any], path: str) -> list[str]:
    kind = schema.get("type")
    if kind is None:
        return []
    if isinstance(value, bool) and kind in {"integer", "number"}:
        return [f"{path}: boolean where {kind} expected"]
    if not isinstance(value, _TYPES[kind]):
        return [f"{path}: {type(value).__name__} where {kind} expected"]
    return []


def _value_errors(value: Any, schema: dict[str, Any], path: str) -> list[str]:
    if "enum" in schema and value not in schema["enum"]:
        return [f"{path}: {value!r} not in {schema['enum']}"]
    if schema.get("format") == "date" and isinstance(value, str):
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            return [f"{path}: {value!r} is not a date"]
    return []


def _object_errors(value: dict[str, Any], schema: dict[str, Any], document: dict[str, Any], path: str) -> list[str]:
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    problems = [f"{path}: missing {name}" for name in schema.get("required", []) if name not in value]
    for name, item in value.items():
        if name in properties:
            problems += errors(item, properties[name], document, f"{path}.{name}")
        elif isinstance(extra, dict):
            problems += errors(item, extra, document, f"{path}.{name}")
        elif properties:
            problems.append(f"{path}: unexpected member {name}")
    return problems


def errors(value: Any, schema: dict[str, Any], document: dict[str, Any], path: str = "$") -> list[str]:
    """Return the places where ``value`` does not match ``schema`` (empty when it matches)."""
    schema = _resolve(schema, document)
    if "anyOf" in schema:
        if any(not errors(value, option, document, path) for option in schema["anyOf"]):
            return []
        return [f"{path}: matches none of anyOf"]
    problems = _type_errors(value, schema, path)
    if problems:
        return problems
    problems = _value_errors(value, schema, path)
    if isinstance(value, dict):
        problems += _object_errors(value, schema, document, path)
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += errors(item, schema["items"], document, f"{path}[{index}]")
    return problems


def assert_matches_openapi(document: dict[str, Any], path: str, method: str, status: int, body: Any) -> None:
    """Assert that ``body`` is what the schema promises for ``method path`` answering ``status``."""
    operation = document["paths"][path][method.lower()]
    responses = operation["responses"]
    assert str(status) in responses, f"{method} {path} answered {status}, which the schema does not declare"
    schema = responses[str(status)]["content"]["application/json"]["schema"]
    problems = errors(body, schema, document)
    assert problems == [], f"{method} {path} {status}: {problems}"
