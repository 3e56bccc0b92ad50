"""The resource catalogue: its schema, the files in catalogue/, and the run-time store."""
