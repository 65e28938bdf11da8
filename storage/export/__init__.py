"""Export an incident as JSON or Markdown, and import the JSON back; one module per job:

- `schema`: the document (docs/export-format.md), one pydantic schema for both directions,
  so export -> import -> export gives the same document;
- `load`: `build_document`, the whole incident read in one session (`_document`);
- `json_text`: the document as JSON text (`to_json`) and JSON text read back as a
  document (`parse_document`);
- `stream`: the JSON export written as it is read, events a thousand at a time
  (`json_chunks`, `export_json`): same text as `to_json(build_document(...))`;
- `importing`: a document written into this database (`import_document`, `import_json`);
- `report`: the document as a readable Markdown report (`to_markdown`, `export_markdown`),
  written with `storage.render`.
"""

from __future__ import annotations

from storage.export.importing import import_document, import_json
from storage.export.json_text import parse_document, to_json
from storage.export.load import build_document
from storage.export.report import export_markdown, to_markdown
from storage.export.schema import (
    FORMAT_NAME,
    FORMAT_VERSION,
    ActionItemDoc,
    ChecklistDoc,
    Count,
    EventDoc,
    EventText,
    ImpactDoc,
    IncidentDoc,
    IncidentDocument,
    ItemState,
    Kind,
    Label,
    MetricsDoc,
    Name,
    Paragraph,
    PmStatus,
    PostmortemDoc,
    Priority,
    Quantity,
    RevisionDoc,
    RoleDoc,
    Section,
    SeverityDoc,
    Status,
    StoredInt,
    TitlePart,
    UpdateDoc,
    Url,
    UTCTime,
    utc_iso,
)
from storage.export.stream import JsonPieces, export_json, json_chunks, spooled

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "ActionItemDoc",
    "ChecklistDoc",
    "Count",
    "EventDoc",
    "EventText",
    "ImpactDoc",
    "IncidentDoc",
    "IncidentDocument",
    "ItemState",
    "JsonPieces",
    "Kind",
    "Label",
    "MetricsDoc",
    "Name",
    "Paragraph",
    "PmStatus",
    "PostmortemDoc",
    "Priority",
    "Quantity",
    "RevisionDoc",
    "RoleDoc",
    "Section",
    "SeverityDoc",
    "Status",
    "StoredInt",
    "TitlePart",
    "UTCTime",
    "UpdateDoc",
    "Url",
    "build_document",
    "export_json",
    "export_markdown",
    "import_document",
    "import_json",
    "json_chunks",
    "parse_document",
    "spooled",
    "to_json",
    "to_markdown",
    "utc_iso",
]
