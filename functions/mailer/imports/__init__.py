"""List imports: a CSV file from S3 into subscribers, dry run first, paged and resumable."""
