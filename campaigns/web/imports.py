"""Purchases from the point of sale as CSV, for marketers and owners: upload a file, check its columns and a
preview of its first rows, then import it chunk by chunk (a script posts the next chunk until the end; without
script, a Continue button does) and read what was refused, line by line."""
from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, SubmitField
from wtforms.fields.choices import SelectChoice

from campaigns.accounts import business
from campaigns.core import exports
from campaigns.extensions import db
from campaigns.models import PurchaseImport
from campaigns.sales import import_files, import_mapping, import_runs, import_warnings
from campaigns.sales import pos as imports
from campaigns.web.access import requires
from campaigns.web.error_responses import json_error, wants_json
from campaigns.web.forms import Form, put_errors_on
from campaigns.web.transaction import attempt

bp = Blueprint("imports", __name__, url_prefix="/purchases/imports")
NOT_MAPPED = ""


def _choices(labels: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class UploadForm(Form):
    file = FileField("CSV file from your till or shop", validators=[FileRequired("Choose a CSV file.")],
                     render_kw={"accept": ".csv,text/csv"})
    submit = SubmitField("Upload")


class DirectoryForm(UploadForm):
    """The upload offered on a Square import's result page: the same upload, named for the customer directory."""

    file = FileField("Square's customer directory (CSV)", validators=[FileRequired("Choose a CSV file.")],
                     render_kw={"accept": ".csv,text/csv"})


class MappingForm(Form):
    """The kind of file and how it writes numbers, dates and times; a select per field is added for its columns."""

    source = SelectField("Kind of file", choices=_choices(imports.SOURCES), validate_choice=False)
    decimal_mark = SelectField("Decimal mark", choices=_choices(import_mapping.DECIMAL_MARKS), validate_choice=False)
    date_order = SelectField("Dates", choices=_choices(import_mapping.DATE_ORDERS), validate_choice=False)
    time_zone = SelectField("Time zone of the file's times", validate_choice=False)
    preview = SubmitField("Update preview")
    start = SubmitField("Import")


def column_selects(headers: list[str], fields: list[tuple[str, str, bool]],
                   needs: list[imports.Need] = ()) -> dict[str, SelectField]:
    """Return one select of a file's headers per field it may map (`column_<field>`): the mapping screen's columns,
    for a till's file and for a list of people alike. A select that meets a need says so (data-need: the field
    the need is marked at, with its words) for the page's script, which keeps the page's button until it is met."""
    choices = [SelectChoice(NOT_MAPPED, "— not in this file —")]
    choices += [SelectChoice(header, header or "(unnamed column)") for header in headers]
    said = {field: {"data-need": f"column_{need.fields[0]}", "data-need-text": need.text,
                    "data-need-short": need.short} for need in needs for field in need.fields}
    return {f"column_{field}": SelectField(label + (" (required)" if required else ""), choices=choices,
                                           validate_choice=False, render_kw=said.get(field))
            for field, label, required in fields}


def mark_needs(form, needs: list[imports.Need], refused: bool = False) -> dict:
    """Mark each column select that still needs a choice with the words of its need (unless it already says what
    is wrong); return what the page says about them: what is still missing, and the field to focus after a refusal."""
    chosen = {field: form[f"column_{field}"].data for need in needs for field in need.fields}
    unmet = imports.missing(needs, chosen)
    for need in unmet:
        select = form[f"column_{need.fields[0]}"]
        if not select.errors:
            select.errors = [need.text]
    first = next((field.name for field in form if field.errors), None)
    return {"still": [need.short for need in unmet], "focus": first if refused else None}


def mapping_form(record: PurchaseImport, **kwargs) -> MappingForm:
    """Return the mapping form for an import: one select of the file's headers per field of its kind of file."""
    selects = column_selects(import_files.headers(record), imports.FIELDS[record.source], imports.NEEDS[record.source])
    form = type("FileMappingForm", (MappingForm,), selects)(**kwargs)
    form.time_zone.choices = [SelectChoice(zone, label, optgroup=region) for region, zones in
                              business.zone_choices(form.time_zone.data or "").items() for zone, label in zones]
    return form


@bp.route("/", methods=["GET", "POST"])
@requires("marketer")
def index():
    """Upload a file (then map its columns), and list past imports."""
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        record, error = attempt(lambda: import_files.upload(upload.filename, upload.stream.read(),
                                                                current_user.id))
        if error is None:
            return redirect(url_for("imports.show", import_id=record.id))
        put_errors_on(form, error.details.get("fields", {}), fallback=form.file)
    limit = current_app.config["MAX_CONTENT_LENGTH"] // 2**20
    return render_template("imports/index.html", form=form, imports=import_files.recent_imports(),
                           limit_mb=limit, sources=imports.SOURCES)


@bp.route("/<int:import_id>")
@requires("marketer")
def show(import_id: int):
    """An import not started: its mapping and preview; else its progress, and at the end what was refused and
    what its sales can count towards (with the upload of Square's customer directory when that would link them)."""
    record = db.get_or_404(PurchaseImport, import_id)
    if record.status == "uploaded":
        source, columns, options = import_mapping.proposal(record)
        data = {"source": source, "decimal_mark": options.decimal_mark, "date_order": options.date_order,
                "time_zone": options.time_zone} | {f"column_{field}": header or NOT_MAPPED
                                                   for field, header in columns.items()}
        return _mapping_page(record, mapping_form(record, data=data))
    return render_template("imports/progress.html", record=record, progress=import_runs.progress(record),
                           problems=import_runs.problems(record), sources=imports.SOURCES,
                           findings=import_warnings.findings(record), directory_form=DirectoryForm())


@bp.route("/<int:import_id>/mapping", methods=["POST"])
@requires("marketer")
def mapping(import_id: int):
    """Keep the chosen columns and options: for a new preview, or to start the import."""
    record = db.get_or_404(PurchaseImport, import_id)
    form = mapping_form(record)
    if not form.validate():
        return _mapping_page(record, form, refused=True), 422
    columns = {field: form[f"column_{field}"].data or None for field, _, _ in imports.FIELDS[record.source]}
    options = {"decimal_mark": form.decimal_mark.data, "date_order": form.date_order.data,
               "time_zone": form.time_zone.data}
    action = import_mapping.confirm if form.start.data else import_mapping.choose
    _, error = attempt(lambda: action(record, form.source.data, columns, options))
    if error is not None:  # the same words at the fields as the page marks them with before (mark_needs)
        put_errors_on(form, {(f"column_{name}" if f"column_{name}" in form else name): problem
                             for name, problem in error.details.get("fields", {}).items()}, fallback=form.source)
        return _mapping_page(record, form, None if error.code == "invalid_input" else error.message, True), 422
    return redirect(url_for("imports.show", import_id=record.id))


@bp.route("/<int:import_id>/chunk", methods=["POST"])
@requires("marketer")
def chunk(import_id: int):
    """Import the next chunk of rows: JSON progress for the page's script, else back to the progress page."""
    record = db.get_or_404(PurchaseImport, import_id)
    done, error = attempt(lambda: import_runs.run_chunk(record))
    if wants_json():
        if error is not None:
            return json_error(error)
        return jsonify({key: done[key] for key in import_runs.progress(record)})
    return redirect(url_for("imports.show", import_id=record.id))


@bp.route("/<int:import_id>/problems.csv")
@requires("marketer")
def problems_csv(import_id: int):
    """Download the refused rows, with their line numbers and reasons, as CSV."""
    record = db.get_or_404(PurchaseImport, import_id)
    body = exports.csv_text(["line", "reason"], ([problem["line"], problem["reason"]]
                                                 for problem in import_runs.problems(record)))
    filename = f"import-{record.id}-problems.csv"
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": exports.attachment(filename)})


def _mapping_page(record: PurchaseImport, form: MappingForm, message: str | None = None, refused: bool = False):
    """Render the mapping screen with the preview of what the file's first rows become, each column still needed
    marked at its select (and, after a refusal, the focus on the first field to fix)."""
    shown, error = attempt(lambda: import_mapping.preview(record))
    needs = mark_needs(form, imports.NEEDS[record.source], refused)
    if error is not None and error.code == "invalid_input" and needs["still"]:
        error = None  # the columns still to choose: marked at their selects, and said beside Import
    return render_template("imports/mapping.html", record=record, form=form, message=message, refused=refused,
                           preview=shown or [], preview_error=error.message if error else None, **needs,
                           fields=imports.FIELDS[record.source], sources=imports.SOURCES)
