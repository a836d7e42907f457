"""Mounting the console on the FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from unico.settings import Settings


def mount_console(app: FastAPI, settings: Settings) -> None:
    """Routes under /console and static assets under /static (filled in by the console pages)."""
