"""ticketdesk: support-ticket triage with a human approval step for refunds."""
