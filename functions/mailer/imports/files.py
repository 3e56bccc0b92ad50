"""Uploaded lists in S3: the presigned POST a browser uploads with, and reading a file back a
page at a time from any byte offset (a ranged GET), with S3's errors made domain errors."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from mailer.aws.translate import aws_errors
from mailer.errors import MailerError

# The POST's own cap: S3 refuses anything larger. The import refuses more than csvfile's
# MAX_BYTES with a message, so the cap only stops absurd uploads (a video chosen by mistake).
UPLOAD_CAP = 64 * 1024 * 1024
UPLOAD_LIFETIME = 3600


class MissingFileError(MailerError):
    """No file has been uploaded for the batch (yet)."""


class ListFiles:
    """One bucket of uploaded lists."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def upload_form(self, key: str, redirect_to: str) -> dict[str, Any]:
        """A presigned POST for one file at `key`: the form's URL and its hidden fields."""
        with aws_errors("signing an upload"):
            return self._s3.generate_presigned_post(
                self._bucket,
                key,
                Fields={"success_action_redirect": redirect_to, "Content-Type": "text/csv"},
                Conditions=[
                    ["content-length-range", 1, UPLOAD_CAP],
                    {"success_action_redirect": redirect_to},
                    {"Content-Type": "text/csv"},
                ],
                ExpiresIn=UPLOAD_LIFETIME,
            )

    def put(self, key: str, body: bytes) -> None:
        """Store a file (the CLI's upload; browsers use the presigned POST)."""
        with aws_errors("uploading a list"):
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="text/csv")

    def size(self, key: str) -> int:
        """The file's size in bytes; MissingFileError if there is none."""
        try:
            with aws_errors("reading an uploaded list"):
                return int(self._s3.head_object(Bucket=self._bucket, Key=key)["ContentLength"])
        except MailerError as exc:
            if isinstance(exc.__cause__, ClientError) and _missing(exc.__cause__):
                raise MissingFileError("No file has been uploaded for this import yet.") from None
            raise

    def head(self, key: str, length: int) -> bytes:
        """The file's first `length` bytes."""
        with aws_errors("reading an uploaded list"):
            body = self._s3.get_object(Bucket=self._bucket, Key=key, Range=f"bytes=0-{length - 1}")
            return body["Body"].read()

    def sha256(self, key: str) -> str:
        """A digest of the whole file (streamed), to know the same file uploaded again."""
        digest = hashlib.sha256()
        for chunk in self.chunks(key, 0):
            digest.update(chunk)
        return digest.hexdigest()

    def chunks(self, key: str, offset: int) -> Iterator[bytes]:
        """The file's bytes from `offset` to its end, as S3 streams them."""
        with aws_errors("reading an uploaded list"):
            body = self._s3.get_object(Bucket=self._bucket, Key=key, Range=f"bytes={offset}-")[
                "Body"
            ]
        try:
            with aws_errors("reading an uploaded list"):
                yield from body.iter_chunks(64 * 1024)
        finally:
            body.close()

    def delete(self, key: str) -> None:
        """Forget the file (done with it: it holds personal data)."""
        with aws_errors("deleting an uploaded list"):
            self._s3.delete_object(Bucket=self._bucket, Key=key)


def _missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")
