"""The API's OpenAPI 3 description, built from the operations the API blueprint registers."""
from collections.abc import Callable
from dataclasses import dataclass, field

from campaigns.core.inputs import ID_MAX

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
    request_schema: dict | Callable[[], dict] | None = None  # a callable when it depends on the settings
    parameters: list[dict] = field(default_factory=list)  # query parameters, as OpenAPI parameter objects


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


# What every operation of a kind may answer besides its own statuses (API.md, "Errors").
_BODY_ANSWERS = {"400": "invalid_json: the body is not a JSON object, is nested too deep or holds invalid Unicode",
                 "413": "too_large: the body is over the size limit",
                 "422": "invalid_input: details.fields names each wrong field"}
_PATH_ANSWER = {"404": "Nothing has this id or code"}
_QUERY_ANSWER = {"422": "invalid_input: details.fields names each wrong query parameter"}


def _error(description: str) -> dict:
    return {"description": description, "content": _error_content()}


def _path_parameter(part: str) -> dict:
    name = part.split(":")[-1]
    schema = ({"type": "integer", "minimum": 1, "maximum": ID_MAX} if part.startswith("int:")
              else {"type": "string", "minLength": 1, "maxLength": 300, "pattern": r"^[0-9A-Za-z][0-9A-Za-z ._-]*$",
                    "description": "A voucher code as printed (13 characters), typed loosely: any case, with spaces "
                                   "or dashes; O, I and L are read as 0, 1 and 1"})
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _operation_spec(operation: Operation) -> dict:
    responses = {status: {"description": r.get("description", ""),
                          **({"content": {"application/json": {"schema": r["schema"]}}} if "schema" in r else {})}
                 for status, r in operation.responses.items()}
    params = [part[1:-1] for part in operation.path.split("/") if part.startswith("<")]
    implied = {**(_BODY_ANSWERS if operation.request_schema else {}), **(_PATH_ANSWER if params else {}),
               **(_QUERY_ANSWER if operation.parameters else {})}
    if operation.role != "public":
        implied.update({"401": "Missing or wrong token", "403": f"Needs the {operation.role} role"})
    for status, description in implied.items():
        responses.setdefault(status, _error(description))
    spec = {"summary": operation.summary, "responses": dict(sorted(responses.items())),
            "x-required-role": operation.role}
    if operation.role == "public":
        spec["security"] = []
    if params or operation.parameters:
        spec["parameters"] = [_path_parameter(p) for p in params] + operation.parameters
    if operation.request_schema:
        schema = operation.request_schema() if callable(operation.request_schema) else operation.request_schema
        # A body that can only be {} (start a send, cancel one) may also be left out: the API takes either.
        spec["requestBody"] = {"required": schema.get("properties") != {},
                               "content": {"application/json": {"schema": schema}}}
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
