"""Console pages, one module per area: sign-in, products and stock, stores."""
