"""Campaign staff: signing in with Cognito, their sessions, roles, and the audit log."""
