"""WTForms for the pages: they check shape; services check the rules that need the database."""
from decimal import Decimal

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from campaigns.accounts import business
from campaigns.accounts.business import get_settings
from campaigns.accounts.users import MIN_PASSWORD_LENGTH
from campaigns.core import inputs, money
from campaigns.core.errors import DomainError
from campaigns.giving.designs import (
    DEFAULT_QUESTION,
    DEFAULT_QUESTION_2,
    NAME_MAX,
    TEXT_MAX,
    WHOLE_RANGES,
    CampaignDesign,
)
from campaigns.models import ROLES

ROLE_CHOICES = [SelectChoice(role, role.capitalize()) for role in reversed(ROLES)]


class Form(FlaskForm):
    """Every page's form: besides its fields' own checks, no text field may hold a control character (line
    breaks only in long text), so nothing typed can break a stored row, a header, a CSV or a log line."""

    def validate(self, extra_validators=None) -> bool:
        """Run the fields' checks, then refuse control characters in any text field."""
        valid = super().validate(extra_validators)
        for field in self:
            raw = field.raw_data[0] if field.raw_data and isinstance(field.raw_data[0], str) else ""
            bad = inputs.bad_character(raw, multiline=isinstance(field, TextAreaField))
            if bad is not None:
                field.errors = list(field.errors) + [f"This text holds {bad}; remove it."]
                valid = False
        return valid


class MoneyField(StringField):
    """An amount of money typed as text the business's way (its locale's marks, campaigns/core/money.py), read
    exactly into a Decimal (None when left empty); within the currency's decimal places and the maximum."""

    def read(self, typed: str) -> Decimal:
        """Read what was typed in the business's locale and currency."""
        settings = get_settings()
        return money.read_amount(typed, self.name, settings.locale, money.exponent(settings.currency),
                                 currency=settings.currency)

    def pre_validate(self, form):
        """A required amount left blank (spaces only) is missing, not zero."""
        if self.data is None and self.flags.required and not self.process_errors:
            raise StopValidation("Enter an amount.")

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                self.data = self.read(valuelist[0])
            except DomainError as error:
                raise ValueError(error.details["fields"][self.name]) from None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return money.typed(self.data, get_settings().locale)


class PercentField(MoneyField):
    """A percentage from 0 to 100 with at most two decimals, typed like an amount (a trailing % allowed)."""

    def read(self, typed: str) -> Decimal:
        """Read a percentage in the business's locale."""
        locale = get_settings().locale
        try:
            return money.read_amount(typed.strip().removesuffix("%"), self.name, locale, 2, maximum=Decimal(100))
        except DomainError:
            raise ValueError("A percentage from 0 to 100, with at most two decimals, like "
                             f"{money.typed(Decimal('12.5'), locale)}.") from None


class YearsInRange:
    """A date validator: the year lies in the window every date of the app keeps to."""

    bounds = {"min": f"{inputs.YEAR_MIN}-01-01", "max": f"{inputs.YEAR_MAX}-12-31"}  # the date picker's own limits

    def __call__(self, form, field):
        if field.data is not None and not inputs.YEAR_MIN <= field.data.year <= inputs.YEAR_MAX:
            raise ValidationError(f"A date in the years {inputs.YEAR_MIN} to {inputs.YEAR_MAX}.")


def _whole_range(field: str) -> NumberRange:
    low, high = WHOLE_RANGES[field]
    return NumberRange(min=low, max=high)


class LoginForm(Form):
    email = EmailField("E-mail", validators=[DataRequired(), Email(check_deliverability=False)])
    password = PasswordField("Password", validators=[DataRequired()])
    submit = SubmitField("Log in")


class SetupForm(Form):
    business_name = StringField("Business name", validators=[DataRequired(), Length(max=120)])
    name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("E-mail", validators=[DataRequired(), Email(check_deliverability=False)])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)])
    confirm = PasswordField("Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")])
    submit = SubmitField("Create owner account")


class UserCreateForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("E-mail", validators=[DataRequired(), Email(check_deliverability=False)])
    role = SelectField("Role", choices=ROLE_CHOICES, default="staff")
    password = PasswordField("First password", validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)])
    submit = SubmitField("Add user")


class UserEditForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    active = BooleanField("Active (may log in)")
    password = PasswordField("New password (leave empty to keep)",
                             validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH)])
    submit = SubmitField("Save user")


class PasswordChangeForm(Form):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    password = PasswordField("New password", validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)])
    confirm = PasswordField("Repeat new password",
                            validators=[DataRequired(), EqualTo("password", "Passwords differ.")])
    submit = SubmitField("Change password")


class LocationForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    address = StringField("Address", validators=[Optional(), Length(max=255)])
    active = BooleanField("Active", default=True)
    submit = SubmitField("Save location")


class SettingsForm(Form):
    """The business settings: the lists come from Babel and the IANA zones; the service checks each value."""

    business_name = StringField("Business name", validators=[DataRequired(), Length(max=120)])
    currency = SelectField("Currency", validators=[DataRequired()], validate_choice=False)
    locale = SelectField("How amounts are typed and shown", validators=[DataRequired()], validate_choice=False)
    time_zone = SelectField("Time zone", validators=[DataRequired()], validate_choice=False)
    default_gross_margin_pct = PercentField("Default gross margin (%)",
                                            validators=[InputRequired(message="Enter a margin from 0 to 100.")])
    default_phone_region = StringField("Default phone region", validators=[DataRequired(), Length(min=2, max=2)])
    large_purchase = MoneyField("Ask again before recording a purchase over", validators=[Optional()])
    submit = SubmitField("Save settings")

    def __init__(self, *args, current_zone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.currency.choices = [SelectChoice(code, label) for code, label in money.currency_choices()]
        self.locale.choices = [SelectChoice(code, label) for code, label in money.locale_choices()]
        self.time_zone.choices = [SelectChoice(zone, label, optgroup=region) for region, zones in
                                  business.zone_choices(current_zone or self.time_zone.data or "").items()
                                  for zone, label in zones]


class TokenForm(Form):
    name = StringField("Token name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Acts as", choices=ROLE_CHOICES, default="staff")
    submit = SubmitField("Create token")


class CampaignForm(Form):
    """The campaign design form: it checks shape and yields a CampaignDesign; the service checks the rest."""

    name = StringField("Name", validators=[DataRequired(), Length(max=NAME_MAX)])
    kind = SelectField("Kind", choices=[SelectChoice("sample", "Free sample"), SelectChoice("service", "Free service")])
    offer = TextAreaField("Offer (printed on the voucher)", validators=[Optional(), Length(max=TEXT_MAX)])
    unit_cost = MoneyField("Unit cost (one item or service)", validators=[InputRequired()])
    retail_value = MoneyField("Retail value", validators=[Optional()])
    fixed_cost = MoneyField("Fixed costs (printing, staff time)", default=Decimal(0), validators=[Optional()])
    gross_margin_pct = PercentField("Gross margin on later purchases (%)", validators=[InputRequired()])
    starts_on = DateField("Starts on", validators=[Optional(), YearsInRange()], render_kw=YearsInRange.bounds)
    ends_on = DateField("Ends on (vouchers expire at the end of this day)", validators=[Optional(), YearsInRange()],
                        render_kw=YearsInRange.bounds)
    voucher_limit = IntegerField("Most vouchers in all", validators=[Optional(), _whole_range("voucher_limit")])
    per_customer_limit = IntegerField("Most vouchers per customer", default=1,
                                      validators=[InputRequired(), _whole_range("per_customer_limit")])
    attribution_window_days = IntegerField("Attribution window (days)", default=90,
                                           validators=[InputRequired(), _whole_range("attribution_window_days")])
    unreturned_gift_limit = IntegerField("Refuse vouchers to customers holding this many unreturned free offers",
                                         validators=[Optional(), _whole_range("unreturned_gift_limit")])
    feedback_question = StringField("Feedback question", default=DEFAULT_QUESTION,
                                    validators=[Optional(), Length(max=TEXT_MAX)])
    feedback_question_2 = StringField("Second feedback question (optional)", default=DEFAULT_QUESTION_2,
                                      validators=[Optional(), Length(max=TEXT_MAX)])
    feedback_mail_delay_hours = IntegerField("E-mail the feedback link this many hours after redeeming",
                                             validators=[Optional(), _whole_range("feedback_mail_delay_hours")])
    claim_page = BooleanField("Open a public claim page (customers get a personal voucher)")
    submit = SubmitField("Save campaign")

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError("The end date cannot be before the start date.")

    def design(self) -> CampaignDesign:
        """Return the design the form describes."""
        return CampaignDesign(
            name=self.name.data, kind=self.kind.data, offer=self.offer.data or "", unit_cost=self.unit_cost.data,
            retail_value=self.retail_value.data, fixed_cost=self.fixed_cost.data or Decimal(0),
            gross_margin_pct=self.gross_margin_pct.data, starts_on=self.starts_on.data, ends_on=self.ends_on.data,
            voucher_limit=self.voucher_limit.data, per_customer_limit=self.per_customer_limit.data,
            attribution_window_days=self.attribution_window_days.data,
            unreturned_gift_limit=self.unreturned_gift_limit.data,
            feedback_question=self.feedback_question.data or "",
            feedback_question_2=self.feedback_question_2.data or "",
            feedback_mail_delay_hours=self.feedback_mail_delay_hours.data, claim_page=bool(self.claim_page.data))


class BatchForm(Form):
    count = IntegerField("How many vouchers", default=100, validators=[InputRequired(), NumberRange(min=1, max=100_000)])
    batch_label = StringField("Batch label (channel)", validators=[DataRequired(), Length(max=120)],
                              description="e.g. 'flyer A', 'market stall': compare channels later.")
    submit = SubmitField("Make vouchers")


def put_errors_on(form: FlaskForm, fields: dict[str, str], fallback=None) -> None:
    """Show each field's problem (from a DomainError's details) under that field of the form, or under
    `fallback` when the form has no such field (without a fallback, such a problem is left to the flash)."""
    for name, problem in fields.items():
        target = form[name] if name in form else fallback
        if target is not None:
            target.errors = list(target.errors) + [problem]


class CustomerPageForm(Form):
    """What customers' pages show besides the business's name; the service checks the logo's bytes and size."""

    address = TextAreaField("Address", validators=[Optional(), Length(max=255)])
    opening_hours = TextAreaField("Opening hours", validators=[Optional(), Length(max=255)])
    customer_language = SelectField("Customers' language", choices=[], validate_choice=False)
    logo = FileField("Logo (PNG, JPEG or WebP, at most 500 KB)",
                     render_kw={"accept": "image/png,image/jpeg,image/webp"})
    submit = SubmitField("Save customer pages")
    remove_logo = SubmitField("Remove logo")
