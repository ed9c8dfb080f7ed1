"""The register's exchange format: constants, the JSON Schema and the canonical JSON encoding."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from nonpro.core.policy import Tier
from nonpro.core.translation import TranslationStatus
from nonpro.register import taxonomy
from nonpro.register.models import (
    CONTENT_FIELDS,
    PUBLIC_STATUSES,
    RSD_ID_REGEX,
    SUMMARY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    ConcernLevel,
    CreditRole,
    SourceType,
    Status,
)
from nonpro.register.values import EDITABLE

SCHEMA_VERSION = "1.0.0"
SCHEMA_ID = f"https://nonpro.example/schema/register/entry/{SCHEMA_VERSION}"
#: A document larger than this is refused (per entry, in a directory or a zip).
MAX_ENTRY_BYTES = 1024 * 1024
#: A zip whose members would unpack to more than this is refused as a whole (zip bombs).
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
CHUNK_SIZE = 500
ZIP_NAME = "all.zip"
CSV_NAME = "modified_id.csv"
#: The action whose holders may import: an import publishes entries.
IMPORT_ACTION = "register.entry.publish"
#: Fields whose non-public form is ``{"tier", "text"}``; every other field uses ``{"tier", "value"}``.
TEXT_FIELDS = frozenset({"title", "summary", "details", "concern_rationale"})
#: Tiers a non-public field may carry (a PUBLIC field is written bare).
WRAPPED_TIERS = (Tier.OFFICIAL.value, Tier.COMMITTEE.value, Tier.RESTRICTED.value)
LANGUAGES = [code for code, _name in settings.LANGUAGES]
TIMESTAMP_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
#: What an export shows instead of a credit's name that holds an e-mail address.
WITHHELD_NAME = "[name withheld]"
EMAIL = re.compile(r"\S@\S")
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
#: Content fields cleaned by ``values.clean_values`` on import: the editable content but ``related``
#: (linked once every document is in) — the rest are checked here.
CLEANED_FIELDS: tuple[str, ...] = tuple(name for name in CONTENT_FIELDS if name in EDITABLE and name != "related")
TAXONOMY_FIELDS = taxonomy.FIELD_KINDS


# --- the schema ----------------------------------------------------------------------------------------


def _tiered(bare: dict[str, Any], name: str) -> dict[str, Any]:
    """Return the schema of a field: bare when PUBLIC, else wrapped with its tier."""
    key = "text" if name in TEXT_FIELDS else "value"
    wrapped = {
        "type": "object",
        "additionalProperties": False,
        "required": ["tier", key],
        "properties": {"tier": {"$ref": "#/$defs/tier"}, key: bare},
    }
    return {"oneOf": [bare, wrapped]}


def _string(max_length: int | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", **extra}
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


def _content_schemas() -> dict[str, dict[str, Any]]:
    codes = {"type": "array", "items": {"$ref": "#/$defs/code"}, "uniqueItems": True}
    per_language = {"type": "object", "propertyNames": {"enum": LANGUAGES}}
    source = {
        "type": "object",
        "additionalProperties": False,
        "required": ["type"],
        "properties": {
            "type": {"enum": SourceType.values},
            "citation": _string(),
            "doi": _string(200),
            "pmid": _string(20),
            "arxiv_id": _string(40),
            "url": _string(1000),
        },
    }
    credit = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "role"],
        "properties": {"name": _string(200, minLength=1), "role": {"enum": CreditRole.values}},
    }
    return {
        "title": _string(TITLE_MAX_LENGTH),
        "title_translations": {**per_language, "additionalProperties": _string(TITLE_MAX_LENGTH, minLength=1)},
        "translation_status": {**per_language, "additionalProperties": {"enum": TranslationStatus.values}},
        "summary": _string(SUMMARY_MAX_LENGTH),
        "summary_translations": {**per_language, "additionalProperties": _string(SUMMARY_MAX_LENGTH, minLength=1)},
        "details": _string(),
        "domains": codes,
        "technology_areas": codes,
        "control_lists": codes,
        "obligations": codes,
        "related": {"type": "array", "items": {"$ref": "#/$defs/rsd_id"}, "uniqueItems": True},
        "concern_scores": {
            "type": "object",
            "propertyNames": {"$ref": "#/$defs/code"},
            "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 3},
        },
        "concern_level": {"enum": ConcernLevel.values},
        "concern_rationale": _string(),
        "first_reported": {"oneOf": [{"type": "null"}, _string(pattern=DATE_PATTERN)]},
        "sources": {"type": "array", "items": source},
        "aliases": {"type": "array", "items": _string(100, pattern=r"^\S+$"), "uniqueItems": True},
        "credits": {"type": "array", "items": credit},
    }


def entry_schema() -> dict[str, Any]:
    """Return the JSON Schema (Draft 2020-12) of one exported entry, version ``SCHEMA_VERSION``."""
    content = _content_schemas()
    properties: dict[str, Any] = {
        "schema_version": {"const": SCHEMA_VERSION},
        "id": {"$ref": "#/$defs/rsd_id"},
        "status": {"enum": sorted(PUBLIC_STATUSES)},
        "serial": {"type": "integer", "minimum": 1},
        "original_language": {"enum": LANGUAGES},
        "published": {"$ref": "#/$defs/timestamp"},
        "modified": {"$ref": "#/$defs/timestamp"},
        "withdrawn": {"$ref": "#/$defs/timestamp"},
        "withdrawal_reason": _string(),
    }
    properties.update({name: _tiered(content[name], name) for name in CONTENT_FIELDS})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Register of Scientific Developments: one entry",
        "description": (
            "One published or withdrawn entry of the Nonpro register (docs/register-exchange.md). A PUBLIC "
            "field is written bare; any other field carries its tier: {tier, text} for text, {tier, value} "
            "otherwise. Fields above the export's tier are absent."
        ),
        "type": "object",
        "additionalProperties": False,
        "required": ["schema_version", "id", "status", "serial", "original_language", "published", "modified"],
        "properties": properties,
        "if": {"properties": {"status": {"const": Status.WITHDRAWN.value}}},
        "then": {"required": ["withdrawn", "withdrawal_reason"]},
        "else": {"not": {"anyOf": [{"required": ["withdrawn"]}, {"required": ["withdrawal_reason"]}]}},
        "$defs": {
            "tier": {"enum": list(WRAPPED_TIERS)},
            "rsd_id": _string(20, pattern=RSD_ID_REGEX),
            "code": _string(64, pattern=CODE_PATTERN),
            "timestamp": _string(pattern=TIMESTAMP_PATTERN),
        },
    }


_VALIDATOR: Draft202012Validator | None = None


def _validator() -> Draft202012Validator:
    global _VALIDATOR  # noqa: PLW0603 - built once per process; the schema is constant
    if _VALIDATOR is None:
        schema = entry_schema()
        Draft202012Validator.check_schema(schema)
        _VALIDATOR = Draft202012Validator(schema)
    return _VALIDATOR


def dumps(document: Mapping[str, Any]) -> bytes:
    """Return ``document`` in the format's deterministic serialization."""
    return (json.dumps(document, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
