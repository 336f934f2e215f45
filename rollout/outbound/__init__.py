"""Everything outbound: the outbox, the deliverer, email rendering and the gateway Protocol."""
