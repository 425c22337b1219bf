"""Places of a Bündnis: Kreis, Gemeinden, Servicestellen — and how a conversation names them."""
