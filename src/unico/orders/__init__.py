"""Orders from every channel: carts, orders, lines, states, edits, cancellations."""
