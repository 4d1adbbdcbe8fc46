"""A campaign's audience for a holdout test, for marketers: add people from a list (a CSV file or pasted rows,
its columns mapped as an import's are) or pick customers with filters, preview how many would be drawn and who
would be left out, set the holdout share and assign; then read the result and the members, a page at a time."""
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from campaigns.accounts import business
from campaigns.core import inputs
from campaigns.core.errors import DomainError, ValidationError
from campaigns.customers import audience_filters
from campaigns.extensions import db
from campaigns.giving import audience_runs, audiences
from campaigns.giving.audience_exclusions import REASONS, preview_contacts
from campaigns.giving.codes import format_code
from campaigns.giving.designs import list_campaigns
from campaigns.models import Campaign
from campaigns.sales import contact_lists
from campaigns.web.access import requires
from campaigns.web.forms import Form, put_errors_on
from campaigns.web.imports import NOT_MAPPED, column_selects
from campaigns.web.transaction import attempt

bp = Blueprint("audience", __name__, url_prefix="/campaigns/<int:campaign_id>/audience")
PER_PAGE = 50
HOLDOUT_DEFAULT = 10
_HOLDOUT = [InputRequired("Give the share for the control group, from 0 to 90."),
            NumberRange(*audiences.HOLDOUT_RANGE, message="A whole percentage from 0 to 90.")]


class ListForm(Form):
    """A list of people: a file, or rows pasted (or carried from the upload to the mapping and back)."""

    file = FileField("A CSV file of contacts", render_kw={"accept": ".csv,text/csv,text/plain"})
    text = TextAreaField("Or paste rows, with a header line", render_kw={
        "rows": 6, "placeholder": "email,name\nana@example.com,Ana\nbo@example.com,Bo", "spellcheck": "false"})
    holdout_pct = IntegerField("Control group (%)", default=HOLDOUT_DEFAULT, validators=_HOLDOUT)
    preview = SubmitField("Preview")
    assign = SubmitField("Assign")


class PickForm(Form):
    """Filters over the customers already known (read from the address: a preview changes nothing)."""

    class Meta:
        csrf = False

    bought_at = SelectField("Bought at", validate_choice=False)
    not_bought_days = IntegerField("Not bought in the last … days", validators=[
        Optional(), NumberRange(1, audience_filters.DAYS_MAX, message="A whole number of days from 1 to 3,650.")])
    freebie_only_of = SelectField("Took the free offer of … and never bought", validate_choice=False)
    no_gift_yet = BooleanField("Never took a free offer yet")


class AssignForm(Form):
    """The holdout share and the button that assigns what a preview showed."""

    holdout_pct = IntegerField("Control group (%)", default=HOLDOUT_DEFAULT, validators=_HOLDOUT)
    assign = SubmitField("Assign")


def _campaign(campaign_id: int) -> Campaign:
    return db.get_or_404(Campaign, campaign_id)


def _pick_form(data=None) -> PickForm:
    form = PickForm(formdata=data)
    form.bought_at.choices = [SelectChoice("", "Anywhere, or nowhere")] + [
        SelectChoice(str(place.id), place.name) for place in business.list_locations()]
    form.freebie_only_of.choices = [SelectChoice("", "Any campaign, or none")] + [
        SelectChoice(str(c.id), c.name) for c in list_campaigns(1, 200, None, "include")[0]]
    return form


def _filter(form: PickForm) -> audience_filters.CustomerFilter:
    """The filter a validated pick form asks for (ids checked by the service)."""
    return audience_filters.check_filter(
        int(form.bought_at.data) if (form.bought_at.data or "").isdigit() else None, form.not_bought_days.data,
        int(form.freebie_only_of.data) if (form.freebie_only_of.data or "").isdigit() else None,
        form.no_gift_yet.data)


@bp.route("")
@requires("marketer")
def show(campaign_id: int):
    """The audience: its groups, the result of an assignment just made, the ways to add people, its members."""
    campaign = _campaign(campaign_id)
    group = request.args.get("group") if request.args.get("group") in ("treatment", "control") else None
    page = _page("page")
    run_id = request.args.get("run", "")
    run = audience_runs.run_of(campaign.id, int(run_id)) if run_id.isdigit() and len(run_id) < 10 else None
    out_page = _page("out_page")
    members, total = audiences.members_page(campaign.id, group, page, PER_PAGE)
    return render_template(
        "audience/show.html", campaign=campaign, counts=audiences.group_counts(campaign.id), run=run,
        left_out=audience_runs.left_out_page(run, out_page, PER_PAGE) if run else [], out_page=out_page,
        members=members, total=total, page=page, pages=max(1, -(-total // PER_PAGE)), group=group,
        reasons=REASONS, list_form=ListForm(), pick_form=_pick_form(None), per_page=PER_PAGE,
        format_code=format_code)


def _page(name: str) -> int:
    try:
        return inputs.whole(request.args.get(name, "1"), name, 1, 100_000)
    except ValidationError:
        abort(404)


@bp.route("/list", methods=["POST"])
@requires("marketer")
def from_list(campaign_id: int):
    """Read a list of people with its columns mapped; preview it, or assign it and show the result."""
    campaign = _campaign(campaign_id)
    form, sheet, columns = _read_list()
    if sheet is None or not form.assign.data or not form.validate():
        return _list_page(campaign, form, sheet, columns)
    listed, error = attempt(lambda: contact_lists.contacts_of(sheet, columns))
    if error is not None:  # the columns do not fit: the list's page says which
        return _list_page(campaign, form, sheet, columns)
    found, error = attempt(lambda: audience_runs.assign_recorded(
        campaign, listed.contacts, form.holdout_pct.data, source="list", require_email=True,
        user_id=current_user.id, problems=listed.problems))
    if error is not None:
        return _list_page(campaign, form, sheet, columns, error)
    return redirect(url_for("audience.show", campaign_id=campaign.id, run=found[1]) + "#result")


def _read_list():
    """The list form with its text (an uploaded file read into it), the list read, and its columns (None, {})
    when it cannot be read; the form then carries the problem."""
    form = ListForm()
    upload = form.file.data
    if upload and getattr(upload, "filename", ""):
        try:
            form.text.data = contact_lists.decode_upload(upload.stream.read())
        except ValidationError as error:
            form.file.errors = [error.details["fields"]["file"]]
            return form, None, {}
    try:
        sheet = contact_lists.read_list(form.text.data or "")
    except ValidationError as error:
        form.text.errors = [error.details["fields"]["file"]]
        return form, None, {}
    if any(f"column_{name}" in request.form for name, _, _ in contact_lists.FIELDS):  # mapped on the list page
        columns = {name: request.form.get(f"column_{name}") or None for name, _, _ in contact_lists.FIELDS}
    else:
        columns = contact_lists.suggested_columns(sheet)
    return _with_columns(form, sheet.headers, columns), sheet, columns


def _with_columns(form: ListForm, headers: list[str], columns: dict) -> ListForm:
    """The list form again, with a select of the list's headers per field, set to `columns`."""
    mapped = type("ListMappingForm", (ListForm,), column_selects(headers, contact_lists.FIELDS, contact_lists.NEEDS))()
    for name, _, _ in contact_lists.FIELDS:
        mapped[f"column_{name}"].data = columns.get(name) or NOT_MAPPED
    mapped.text.data, mapped.holdout_pct.data = form.text.data, form.holdout_pct.data
    mapped.holdout_pct.raw_data = form.holdout_pct.raw_data
    mapped.assign.data = form.assign.data
    mapped.text.errors, mapped.file.errors = list(form.text.errors), list(form.file.errors)
    return mapped


def _list_page(campaign: Campaign, form: ListForm, sheet, columns: dict, error: DomainError | None = None):
    """The list's mapping, its first rows and the preview of its size; 422 when something must be fixed."""
    listed, problem = (None, None) if sheet is None else attempt(lambda: contact_lists.contacts_of(sheet, columns))
    if problem is not None:
        put_errors_on(form, problem.details.get("fields", {}), fallback=form.text)
    if error is not None:
        put_errors_on(form, error.details.get("fields", {}), fallback=form.text)
    size = preview_contacts(campaign, listed.contacts) if listed else None
    status = 422 if error or form.errors or sheet is None or problem else 200
    return render_template("audience/list.html", campaign=campaign, form=form, listed=listed, size=size,
                           fields=contact_lists.FIELDS, sample=(listed.contacts[:10] if listed else []),
                           message=error.message if error else None, reasons=REASONS,
                           ended=campaign.status == "ended"), status


@bp.route("/pick", methods=["GET", "POST"])
@requires("marketer")
def pick(campaign_id: int):
    """Customers picked with filters: how many, who would be left out; assign them with a holdout share."""
    campaign = _campaign(campaign_id)
    form = _pick_form(request.args)
    assign_form = AssignForm()
    picked, error = (attempt(lambda: _filter(form)) if form.validate() else (None, None))
    if picked is not None and request.method == "POST" and assign_form.validate():
        run_id, error = attempt(lambda: audience_filters.assign_picked(
            campaign, picked, assign_form.holdout_pct.data, current_user.id))
        if error is None:
            return redirect(url_for("audience.show", campaign_id=campaign.id, run=run_id) + "#result")
    if error is not None:
        put_errors_on(form, error.details.get("fields", {}))
        put_errors_on(assign_form, error.details.get("fields", {}))
    size = audience_filters.preview_picked(campaign, picked) if picked is not None else None
    status = 422 if request.method == "POST" or form.errors else 200
    return render_template("audience/pick.html", campaign=campaign, form=form, assign_form=assign_form, size=size,
                           message=error.message if error else None, reasons=REASONS,
                           ended=campaign.status == "ended"), status
