"""Staff access below HTTP: who is acting (`Principal`), what they may see (tenancy scoping),
what they did (the audit log) and why a request is refused (`errors`). The domain services the
admin API and the staff pages share build on it; it imports only `store`."""
