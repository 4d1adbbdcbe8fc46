"""The API's OpenAPI 3 description, built from the operations the API blueprint registers."""
from dataclasses import dataclass, field

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "example": "already_redeemed"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}


@dataclass
class Operation:
    """One documented API operation."""

    path: str
    method: str
    role: str
    summary: str
    responses: dict[str, dict] = field(default_factory=dict)
    request_schema: dict | None = None


OPERATIONS: list[Operation] = []


def register(operation: Operation) -> None:
    """Add an operation to the description (once per path and method)."""
    if not any(o.path == operation.path and o.method == operation.method for o in OPERATIONS):
        OPERATIONS.append(operation)


def _flask_to_openapi(rule: str) -> str:
    """Turn /campaigns/<int:campaign_id> into /campaigns/{campaign_id}."""
    out, i = [], 0
    while i < len(rule):
        if rule[i] == "<":
            end = rule.index(">", i)
            out.append("{" + rule[i + 1 : end].split(":")[-1] + "}")
            i = end + 1
        else:
            out.append(rule[i])
            i += 1
    return "".join(out)


def _operation_spec(operation: Operation) -> dict:
    responses = {status: {"description": r.get("description", ""),
                          **({"content": {"application/json": {"schema": r["schema"]}}} if "schema" in r else {})}
                 for status, r in operation.responses.items()}
    if operation.role != "public":
        responses.setdefault("401", {"description": "Missing or wrong token", "content": _error_content()})
        responses.setdefault("403", {"description": f"Needs the {operation.role} role", "content": _error_content()})
    spec = {"summary": operation.summary, "responses": responses, "x-required-role": operation.role}
    if operation.role == "public":
        spec["security"] = []
    params = [part[1:-1] for part in operation.path.split("/") if part.startswith("<")]
    if params:
        spec["parameters"] = [{"name": p.split(":")[-1], "in": "path", "required": True,
                               "schema": {"type": "integer" if p.startswith("int:") else "string"}} for p in params]
    if operation.request_schema:
        spec["requestBody"] = {"required": True, "content": {"application/json": {"schema": operation.request_schema}}}
    return spec


def _error_content() -> dict:
    return {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def document(prefix: str, version: str) -> dict:
    """Return the OpenAPI document for every registered operation."""
    paths: dict[str, dict] = {}
    for operation in OPERATIONS:
        path = prefix + _flask_to_openapi(operation.path)
        paths.setdefault(path, {})[operation.method.lower()] = _operation_spec(operation)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Reciprocate API", "version": version,
                 "description": "Free-sample campaigns, vouchers, redemptions and purchases. See API.md."},
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR_SCHEMA},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }
