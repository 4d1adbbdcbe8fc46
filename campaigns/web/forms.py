"""WTForms for the pages: they check shape; services check the rules that need the database."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, NumberRange, Optional

from ..models import ROLES

ROLE_CHOICES = [SelectChoice(role, role.capitalize()) for role in reversed(ROLES)]


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(check_deliverability=False)])
    password = PasswordField("Password", validators=[DataRequired()])
    submit = SubmitField("Log in")


class SetupForm(FlaskForm):
    business_name = StringField("Business name", validators=[DataRequired(), Length(max=120)])
    name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("E-mail", validators=[DataRequired(), Email(check_deliverability=False)])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=10)])
    confirm = PasswordField("Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")])
    submit = SubmitField("Create owner account")


class UserCreateForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("E-mail", validators=[DataRequired(), Email(check_deliverability=False)])
    role = SelectField("Role", choices=ROLE_CHOICES, default="staff")
    password = PasswordField("First password", validators=[DataRequired(), Length(min=10)])
    submit = SubmitField("Add user")


class UserEditForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    active = BooleanField("Active (may log in)")
    password = PasswordField("New password (leave empty to keep)", validators=[Optional(), Length(min=10)])
    submit = SubmitField("Save user")


class LocationForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    address = StringField("Address", validators=[Optional(), Length(max=255)])
    active = BooleanField("Active", default=True)
    submit = SubmitField("Save location")


class SettingsForm(FlaskForm):
    business_name = StringField("Business name", validators=[DataRequired(), Length(max=120)])
    currency = StringField("Currency (ISO code)", validators=[DataRequired(), Length(min=3, max=3)])
    time_zone = StringField("Time zone", validators=[DataRequired(), Length(max=64)])
    default_gross_margin_pct = DecimalField("Default gross margin (%)", places=2,
                                            validators=[InputRequired(message="Enter a margin from 0 to 100."),
                                                        NumberRange(min=0, max=100)])
    default_phone_region = StringField("Default phone region", validators=[DataRequired(), Length(min=2, max=2)])
    submit = SubmitField("Save settings")


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Acts as", choices=ROLE_CHOICES, default="staff")
    submit = SubmitField("Create token")
