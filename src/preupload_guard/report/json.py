"""The JSON report, SPEC schema 1: stable field names; fields are added, never renamed."""

from __future__ import annotations

import json

from preupload_guard.model.findings import Report


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
