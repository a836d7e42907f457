"""Who may do what: API keys with roles, console users, sessions."""
