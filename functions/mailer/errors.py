"""Domain errors: what callers catch instead of boto3's ClientError or library exceptions."""

from __future__ import annotations


class MailerError(Exception):
    """Base class for every error the mailer raises on purpose."""


class SettingsError(MailerError):
    """A setting is missing or malformed."""


class CatalogueError(MailerError):
    """A catalogue file or entry breaks the schema."""


class TemplateNotFoundError(MailerError):
    """An email template name that does not exist."""


class TemplateContextError(MailerError):
    """An email template needs a value the caller did not give."""


class EmailRenderError(MailerError):
    """An email could not be made from its content (the MJML compiler refused it): the same
    content fails the same way every time, so retrying cannot help."""


class HeaderInjectionError(MailerError):
    """A value bound for an email header contains CR or LF."""


class ThrottlingError(MailerError):
    """AWS asked us to slow down; the caller should back off and retry."""


class OutOfTimeError(MailerError):
    """Too little of this invocation's time is left to start or go on: stop, and be retried
    (by SQS or Lambda) with time to finish. Not throttling: nothing asked us to slow down."""


class ConflictError(MailerError):
    """A conditional write lost: the item already exists or changed."""


class StoreError(MailerError):
    """A storage call failed for a reason the caller cannot fix by retrying at once."""


class TransactionConflictError(StoreError):
    """Another writer held an item of a DynamoDB transaction; retrying soon usually works."""


class UnknownSendOutcomeError(StoreError):
    """SES gave no answer to a send: it may or may not have accepted the message."""
