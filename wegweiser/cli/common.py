"""What every command shares: one-line failures, settings, running a coroutine."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import typer

from base.settings import Settings, SettingsError, get_settings
from dialogs.loader import FlowError
from store.db import DatabaseUnavailable


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"wegweiser: {message}", err=True)
    return typer.Exit(code)


@contextlib.contextmanager
def reported() -> Iterator[None]:
    """Turn the expected kinds of failure into one line for the operator."""
    try:
        yield
    except SettingsError as e:
        raise fail(str(e), 2) from None
    except FlowError as e:
        for problem in e.problems:
            typer.echo(str(problem), err=True)
        raise fail(f"{len(e.problems)} problem(s) in flow files") from None
    except DatabaseUnavailable as e:
        raise fail(str(e)) from None


def settings() -> Settings:
    with reported():
        return get_settings()


def run(coro_fn: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    with reported():
        return asyncio.run(coro_fn())
