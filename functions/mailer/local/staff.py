"""The local stack's staff: a user pool on moto shaped like the template's, with one member of
the senders and data-protection groups who signs in with a first password and then chooses
their own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STAFF_EMAIL = "staff@example.org"
GROUPS = ("senders", "data-protection")  # the template's groups (StaffUserPool's)
FIRST_PASSWORD = "Local-Staff-Password-1"  # noqa: S105 (moto's, printed in the banner)


@dataclass(frozen=True)
class LocalStaff:
    """Where the local staff sign in, and as whom."""

    user_pool_id: str
    client_id: str
    email: str = STAFF_EMAIL
    first_password: str = FIRST_PASSWORD


def provision_staff(
    cognito: Any, email: str = STAFF_EMAIL, first_password: str = FIRST_PASSWORD
) -> LocalStaff:
    """Create the pool, the console's client, the senders and data-protection groups and a
    member of both."""
    pool = cognito.create_user_pool(
        PoolName="mailer-local-staff",
        UsernameAttributes=["email"],
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
    )["UserPool"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="staff-console",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    for group in GROUPS:
        cognito.create_group(UserPoolId=pool["Id"], GroupName=group)
    cognito.admin_create_user(
        UserPoolId=pool["Id"],
        Username=email,
        TemporaryPassword=first_password,
        MessageAction="SUPPRESS",
    )
    for group in GROUPS:
        cognito.admin_add_user_to_group(UserPoolId=pool["Id"], Username=email, GroupName=group)
    return LocalStaff(pool["Id"], client["ClientId"], email, first_password)
