"""The Slack bot: the same ask service, answering in threads (HTTP Events API or Socket Mode)."""
