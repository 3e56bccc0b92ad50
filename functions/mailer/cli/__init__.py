"""The `mailer` command for engineers (development tooling, never in the Lambda artifact)."""
