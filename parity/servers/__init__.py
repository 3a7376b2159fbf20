"""Where a server comes from: Testcontainers, embedded processes or the user's URLs, all yielding an Endpoint."""
