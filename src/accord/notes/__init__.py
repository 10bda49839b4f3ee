"""Notes: the simplest shared record, any member's text and attachments under a TLP marking."""
