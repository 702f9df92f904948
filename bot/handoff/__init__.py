"""Human handoff: a resident's conversation joins a queue, a service advisor accepts it and chats live."""
