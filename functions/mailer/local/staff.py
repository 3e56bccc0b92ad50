"""The local stack's staff: a user pool on moto shaped like the template's, with one member of
the senders, admins and data-protection groups who signs in with a first password and then chooses
their own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

POOL_NAME = "mailer-local-staff"
CLIENT_NAME = "staff-console"
STAFF_EMAIL = "staff@example.org"
GROUPS = ("senders", "admins", "data-protection")  # the template's groups (StaffUserPool's)
FIRST_PASSWORD = "Local-Staff-Password-1"  # noqa: S105 (moto's, printed in the banner)
# What the console's app client may read and write of a member (the template's, too): never
# write `email`, which the console trusts once verified.
READ_ATTRIBUTES = ("email", "email_verified", "name")
WRITE_ATTRIBUTES = ("name",)


@dataclass(frozen=True)
class LocalStaff:
    """Where the local staff sign in, and as whom."""

    user_pool_id: str
    client_id: str
    email: str = STAFF_EMAIL
    first_password: str = FIRST_PASSWORD


def provision_staff(
    cognito: Any,
    email: str = STAFF_EMAIL,
    first_password: str = FIRST_PASSWORD,
    groups: tuple[str, ...] = GROUPS,
) -> LocalStaff:
    """Create the pool, the console's client, the senders, admins and data-protection groups
    and a member of them.

    As in the template, members cannot write their own email (the client's write attributes
    leave it out) and the ID token carries email_verified, which the console insists on.
    """
    pool = cognito.create_user_pool(
        PoolName=POOL_NAME,
        UsernameAttributes=["email"],
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]},
    )["UserPool"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName=CLIENT_NAME,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        ReadAttributes=list(READ_ATTRIBUTES),
        WriteAttributes=list(WRITE_ATTRIBUTES),
    )["UserPoolClient"]
    for group in GROUPS:
        cognito.create_group(UserPoolId=pool["Id"], GroupName=group)
    add_member(cognito, pool["Id"], email, first_password, groups=groups)
    return LocalStaff(pool["Id"], client["ClientId"], email, first_password)


def add_member(
    cognito: Any, pool_id: str, email: str, first_password: str, groups: tuple[str, ...] = ()
) -> None:
    """An admin-created member with a verified address (as an admin's invitation makes one)."""
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        TemporaryPassword=first_password,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    for group in groups:
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=group)


def existing_staff(cognito: Any) -> LocalStaff | None:
    """The pool and client a saved local stack already has (its members keep the passwords
    they chose), or None."""
    for pool in cognito.list_user_pools(MaxResults=60)["UserPools"]:
        if pool["Name"] == POOL_NAME:
            clients = cognito.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)
            for client in clients["UserPoolClients"]:
                if client["ClientName"] == CLIENT_NAME:
                    return LocalStaff(pool["Id"], client["ClientId"])
    return None
