"""Alembic, driven from code (`wegweiser db upgrade`) so no alembic.ini is needed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str, secret: bytes | None = None) -> Config:
    cfg = Config()
    cfg.attributes["address_secret"] = secret  # for migrations that seal addresses
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def _in_thread(fn: object, *args: object) -> None:
    """Alembic's env.py calls asyncio.run(); keep it off any running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        fn(*args)  # type: ignore[operator]
        return
    import threading

    errors: list[BaseException] = []

    def run() -> None:
        try:
            fn(*args)  # type: ignore[operator]
        except BaseException as e:  # re-raised in the caller's thread
            errors.append(e)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if errors:
        raise errors[0]


def upgrade(url: str, revision: str = "head", secret: bytes | None = None) -> None:
    _in_thread(command.upgrade, alembic_config(url, secret), revision)


def downgrade(url: str, revision: str = "base", secret: bytes | None = None) -> None:
    _in_thread(command.downgrade, alembic_config(url, secret), revision)


def revision(url: str, message: str) -> None:
    _in_thread(command.revision, alembic_config(url), message, True)
