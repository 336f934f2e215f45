"""The application database: the source of truth for what was planned, intended, sent and recorded."""
