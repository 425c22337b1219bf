"""What the API takes as text, as regular expressions: the one source for the validators and for
the OpenAPI `pattern`s, so the schema says exactly what is accepted."""

from __future__ import annotations

import re

# What no text field takes: control characters (but tab and newline), bidi overrides and
# isolates (they make one name display as another) and unpaired surrogates.
REFUSED = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_PART = rf"[^\s@{REFUSED}]+"
_SPACE = rf"[^\S{REFUSED}]*"  # white space that is not refused (stripped before use)
# An e-mail address: one `@`, a dot in the domain, no white space inside; as sent (it may be
# surrounded by spaces, which are stripped).
EMAIL_PATTERN = rf"^{_SPACE}{_PART}@{_PART}\.{_PART}{_SPACE}$"
EMAIL = re.compile(EMAIL_PATTERN)
MAX_EMAIL = 254
# A new password: no refused character, no tab or line break, no white space at either end.
PASSWORD_PATTERN = rf"^[^\s{REFUSED}](?:[^\t\n\r{REFUSED}]*[^\s{REFUSED}])?$"
PASSWORD = re.compile(PASSWORD_PATTERN)
MIN_PASSWORD = 12
MAX_PASSWORD = 256
