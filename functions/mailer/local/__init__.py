"""Development only (never in the Lambda artifact): moto as a fake AWS, provisioned from the
SAM template, and the outbox that shows what it sent."""
