"""Referrals (data space (c)): created only after consent, worked by a Servicestelle, withdrawn
on request, deleted after their retention."""
