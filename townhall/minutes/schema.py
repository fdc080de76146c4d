"""The JSON Schema of the JSON minutes, generated from the ``Minutes`` dataclasses.

``python -m townhall.minutes.schema > docs/minutes.schema.json`` regenerates the
documented copy; a test fails when the two differ.
"""

from __future__ import annotations

import json
from typing import Any

from townhall.minutes.export import FORMAT, adapter

__all__ = ["minutes_schema", "schema_text"]


def minutes_schema() -> dict[str, Any]:
    """The JSON Schema of ``render_json``'s output (docs/minutes.schema.json)."""
    schema = adapter().json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://townhall.example/schemas/minutes.schema.json"
    schema["title"] = "Townhall minutes"
    schema["description"] = (
        "The minutes of one town hall session, as exported by GET "
        "/api/townhalls/{id}/minutes.json. Generated from townhall.minutes.model.Minutes."
    )
    schema["properties"] = {"format": {"const": FORMAT}, **schema["properties"]}
    # The export always writes every key (null when empty): say so, and allow no others.
    for obj in (schema, *schema.get("$defs", {}).values()):
        if obj.get("type") == "object" and "properties" in obj:
            obj["required"] = list(obj["properties"])
            obj["additionalProperties"] = False
    return schema


def schema_text() -> str:
    return json.dumps(minutes_schema(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")
