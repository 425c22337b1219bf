"""Messages of the channel layer itself (flood control).

German source texts in einfache Sprache; translated when the runtime renders the reply.
"""

from __future__ import annotations

from dialogs.messages import N_


class CM:
    SLOW_DOWN = N_("Das sind gerade sehr viele Nachrichten. Bitte warte kurz.")
