"""The owner's exports: every table as CSV or an Excel workbook, streamed, and the page that lists them."""
from flask import Blueprint, Response, abort, render_template, request, stream_with_context

from campaigns.core.errors import ValidationError
from campaigns.core.exports import attachment
from campaigns.reports import table_exports
from campaigns.web.access import requires

bp = Blueprint("exports", __name__, url_prefix="/exports")


@bp.route("/")
@requires("owner")
def index():
    """List every table with its row count and its download links."""
    return render_template("exports/index.html", tables=table_exports.overview())


@bp.route("/<table>.<fmt>")
@requires("owner")
def download(table: str, fmt: str):
    """Stream one table as CSV or XLSX (`machine=1`: comma and point); the audit log under its filters."""
    if table not in table_exports.TABLES or fmt not in table_exports.MIMETYPES:
        abort(404)
    try:
        filters = table_exports.read_audit_filter(request.args) if table == "audit" else None
    except ValidationError as error:
        fields = "; ".join(f"{name}: {message}" for name, message in error.details["fields"].items())
        return Response(f"{error.message} {fields}\n", status=422, mimetype="text/plain")
    file = table_exports.download(table, fmt, machine=request.args.get("machine") == "1", filters=filters)
    return Response(stream_with_context(file.chunks), mimetype=file.mimetype,
                    headers={"Content-Disposition": attachment(file.filename)})
