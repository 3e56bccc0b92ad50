"""The AWS boundary: clients built lazily, DynamoDB transactions, SES, and error translation."""
