"""Partner organisations and contacts: reading the CSV, importing it, loading them."""
