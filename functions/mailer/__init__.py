"""The mailer's core: catalogue, rendering, storage and sending, free of web and Lambda concerns."""
