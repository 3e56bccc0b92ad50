"""The staff console's forms (Flask-WTF, session CSRF on each)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Regexp

_CODE = Regexp(r"^\d{6}$", message="Enter the six digits the app shows.")


class SignInForm(FlaskForm):
    """Email address and password."""

    email = EmailField(
        "Email address", validators=[DataRequired("Enter your email address."), Length(max=254)]
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=256)]
    )


class NewPasswordForm(FlaskForm):
    """A new password, on the first sign-in of an account an admin created."""

    password = PasswordField(
        "New password",
        validators=[
            DataRequired("Choose a new password."),
            Length(min=12, max=256, message="Use at least 12 characters."),
        ],
    )


class CodeForm(FlaskForm):
    """A six-digit code from an authenticator app."""

    code = StringField("Code from your authenticator app", validators=[DataRequired(), _CODE])


class ButtonForm(FlaskForm):
    """A button that only needs CSRF protection (sign out)."""
