"""Entry points: deep-link codes for posters and multipliers, their anonymous scan counts and
printable posters with QR codes."""
