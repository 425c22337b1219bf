"""Web chat: the conversation runtime in a browser, for people without a messenger.

`build_webchat_router(runtime)` gives a FastAPI router that `wegweiser serve` mounts:

- `GET  /chat`                  the page (server-rendered in the person's language)
- `GET  /chat/static/{name}`    its script and stylesheet (served locally, no CDN)
- `POST /chat/api/token`        a new conversation token (random, signed)
- `POST /chat/api/messages`     one message (text, button, command or language) → replies
- `GET  /chat/api/messages`     replies that arrived later (relay messages, status updates)

See docs/webchat.md.
"""

from bot.webchat.chat import CHANNEL
from bot.webchat.limits import Limits
from bot.webchat.routes import build_webchat_router

__all__ = ["CHANNEL", "Limits", "build_webchat_router"]
