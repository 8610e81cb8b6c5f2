"""The dashboard as an ASGI application: routes, templates (autoescaped), static files and
the guard, over one Redis client."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import redis
from jinja2 import Environment, PackageLoader
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from monitor.heartbeat import Heartbeat
from monitor.keyspace import Keyspace
from monitor.settings import Settings
from monitor.web import pages
from monitor.web.guard import SIGN_IN, Guard, GuardMiddleware
from monitor.web.views import Board

STATIC = Path(__file__).parent / "static"


def create_app(client: redis.Redis, settings: Settings, token: str = "") -> Starlette:
    routes = [
        Route("/", pages.overview),
        Route("/alerts", pages.alerts),
        Route("/stories/{story_id}", pages.story),
        Route("/silences", pages.silences),
        Route("/silences", pages.add_silence, methods=["POST"]),
        Route("/silences/{silence_id}/expire", pages.expire_silence, methods=["POST"]),
        Route("/silences/{silence_id}/extend", pages.extend_silence, methods=["POST"]),
        Route("/deliveries", pages.deliveries),
        Route("/deliveries/redeliver", pages.redeliver, methods=["POST"]),
        Route("/feeds", pages.feeds),
        Route("/feeds/{feed_id}", pages.feed),
        Route("/feeds/{feed_id}/poll", pages.poll_now, methods=["POST"]),
        Route("/rules", pages.rules),
        Route("/rules/{rule_id}", pages.rule),
        Route("/pipeline", pages.pipeline),
        Route("/healthz", pages.healthz),
        Route("/metrics", pages.metrics),
        Route(SIGN_IN, pages.sign_in_form),
        Route(SIGN_IN, pages.sign_in, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    guard = Guard(token=token)
    app = Starlette(
        routes=routes,
        middleware=[Middleware(GuardMiddleware, guard=guard)],
        lifespan=_beating(client, settings),
    )
    app.state.board = Board(client, settings)
    app.state.guard = guard
    app.state.templates = Environment(
        loader=PackageLoader("monitor.web", "templates"), autoescape=True
    )
    return app


BEAT_EVERY = 5.0
"""Seconds between the dashboard's heartbeats."""


def _beating(
    client: redis.Redis, settings: Settings
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """While the dashboard serves, it beats like the workers and pollers (`monitor status`)."""

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        heart = Heartbeat(client, Keyspace(settings.prefix), "dashboard")
        stopped = threading.Event()

        def beat() -> None:
            while not stopped.is_set():
                heart.beat()
                stopped.wait(BEAT_EVERY)

        threading.Thread(target=beat, name="dashboard heartbeat", daemon=True).start()
        try:
            yield
        finally:
            stopped.set()

    return lifespan
