"""The environment a deployed function would see, for tests (never a real account)."""

from __future__ import annotations

TEST_ENV = {
    "SENDER_ADDRESS": "news@mailer.example.org",
    "SITE_URL": "https://mailer.example.org",
    "CATALOGUE_TABLE": "test-catalogue",
    "SUBSCRIBERS_TABLE": "test-subscribers",
    "CAMPAIGNS_TABLE": "test-campaigns",
    "STAFF_TABLE": "test-staff",
    "AUDIT_TABLE": "test-audit",
    "IMPORT_BUCKET": "test-imports",
    "CAMPAIGN_SCHEDULE_GROUP": "test-campaign-schedules",
    "CAMPAIGN_SCHEDULE_ROLE": "arn:aws:iam::123456789012:role/test-campaign-schedules",
    "SEND_QUEUE_URL": "https://sqs.eu-west-2.amazonaws.com/123456789012/test-send",
    "SECRET_KEY": "test-secret-key",
    "AWS_REGION": "eu-west-2",
    "POSTAL_ADDRESS": "1 Test Street, London",
    # One record at a time, so tests that inject a fault into the n-th call know which record
    # it hits; the threaded tests set their own.
    "SENDER_THREADS": "1",
}
