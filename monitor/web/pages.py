"""The dashboard's handlers: thin, each reads a view (monitor.web.views) or makes one change
through the functions the CLI uses, and answers HTML, a page fragment, or JSON."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import redis
from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from monitor.delivery import DeliveryJob
from monitor.ingest.schedule import Schedule
from monitor.queue import enqueue_delivery
from monitor.redelivery import RedeliveryError
from monitor.redelivery import redeliver as redeliver_dead
from monitor.silence import Silence, SilenceBook, silence_length
from monitor.web import rules_view, views
from monitor.web.guard import SESSION_COOKIE, Guard
from monitor.web.metrics import CONTENT_TYPE as METRICS_TYPE
from monitor.web.metrics import render_metrics
from workers.runtime import context_of

NAV = (
    ("/", "Overview"),
    ("/alerts", "Alerts"),
    ("/silences", "Silences"),
    ("/deliveries", "Deliveries"),
    ("/feeds", "Feeds"),
    ("/rules", "Rules"),
    ("/pipeline", "Pipeline"),
)

REFRESH_SECONDS = 10
"""How often the overview and the lists refresh themselves."""

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,199}")
"""What a story or silence id in a path may be: nothing else reaches Redis or a page."""

SILENCE_FIELDS = ("rule", "story", "source", "text", "for", "comment", "by")


def board(request: Request) -> views.Board:
    found: views.Board = request.app.state.board
    return found


def guard(request: Request) -> Guard:
    found: Guard = request.app.state.guard
    return found


def show(
    request: Request, template: str, data: dict[str, Any], title: str, status: int = 200
) -> Response:
    """The page, its main part alone (for the page's own refresh), or its JSON twin."""
    if request.query_params.get("format") == "json":
        return JSONResponse(data, status)
    env: Environment = request.app.state.templates
    page = env.get_template(template)
    context = {
        **data,
        "title": title,
        "nav": NAV,
        "here": request.url.path,
        "csrf": guard(request).csrf(),
        "refresh": REFRESH_SECONDS if template in ("overview.html", "alerts.html") else 0,
    }
    if request.headers.get("x-fragment"):
        body = "".join(page.blocks["main"](page.new_context(context)))
    else:
        body = page.render(context)
    return HTMLResponse(body, status)


def overview(request: Request) -> Response:
    data = views.overview(board(request), time.time())
    return show(
        request,
        "overview.html",
        {
            **data,
            "spark": views.sparkline(data["alerts_per_hour"]),
            "items_spark": views.sparkline(data["items_per_minute"]),
        },
        "Overview",
    )


def alerts(request: Request) -> Response:
    params = request.query_params
    named = ("rule", "channel", "severity", "source", "lang", "hours", "q")
    filters = {name: params.get(name, "").strip() for name in named}
    limit = _limit(params.get("limit", "200"))
    return show(
        request, "alerts.html", views.alerts(board(request), time.time(), filters, limit), "Alerts"
    )


def story(request: Request) -> Response:
    story_id = request.path_params["story_id"]
    found = views.story(board(request), story_id, time.time()) if _ID.fullmatch(story_id) else None
    if found is None:
        return show(request, "error.html", {"error": "no such story is kept"}, "Story", 404)
    return show(request, "story.html", found, f"Story {story_id}")


def silences(request: Request) -> Response:
    data = {**views.silences(board(request), time.time()), "form": {}, "error": ""}
    return show(request, "silences.html", data, "Silences")


async def add_silence(request: Request) -> Response:
    form = await request.form()
    given = {name: str(form.get(name, "")).strip() for name in SILENCE_FIELDS}
    if not guard(request).csrf_ok(str(form.get("csrf", ""))):
        return _refused(request)
    try:
        silence = Silence(
            rule=given["rule"],
            story=given["story"],
            source=given["source"],
            text=given["text"],
            ends=time.time() + silence_length(given["for"] or "0s"),
            comment=given["comment"],
            by=given["by"] or "dashboard",
        )
    except ValueError as exc:
        data = {**views.silences(board(request), time.time()), "form": given, "error": _said(exc)}
        return show(request, "silences.html", data, "Silences", 400)
    SilenceBook(board(request).client, board(request).keys).add(silence)
    return RedirectResponse("/silences", status_code=303)


async def extend_silence(request: Request) -> Response:
    """Push a silence's end later by the length asked for (within the longest a silence
    may last from now)."""
    form = await request.form()
    silence_id = request.path_params["silence_id"]
    if not guard(request).csrf_ok(str(form.get("csrf", ""))) or not _ID.fullmatch(silence_id):
        return _refused(request)
    book = SilenceBook(board(request).client, board(request).keys)
    now = time.time()
    found = [s for s in book.active(now) if s.id == silence_id]
    try:
        longer = silence_length(str(form.get("for", "")).strip() or "0s")
        if not found:
            raise ValueError("that silence has ended or been removed")
        ends = found[0].ends + longer
        silence_length(f"{max(1, round(ends - now))}s")  # no further than the longest silence
    except ValueError as exc:
        data = {**views.silences(board(request), now), "form": {}, "error": _said(exc)}
        return show(request, "silences.html", data, "Silences", 400)
    book.add(found[0].model_copy(update={"ends": ends}))
    return RedirectResponse("/silences", status_code=303)


async def expire_silence(request: Request) -> Response:
    form = await request.form()
    silence_id = request.path_params["silence_id"]
    if not guard(request).csrf_ok(str(form.get("csrf", ""))) or not _ID.fullmatch(silence_id):
        return _refused(request)
    SilenceBook(board(request).client, board(request).keys).expire(silence_id, time.time())
    return RedirectResponse("/silences", status_code=303)


def deliveries(request: Request) -> Response:
    data = {**views.deliveries(board(request), time.time()), "error": ""}
    return show(request, "deliveries.html", data, "Deliveries")


async def redeliver(request: Request) -> Response:
    """Send a dead letter again, once: its record is taken in one step (monitor.redelivery)."""
    form = await request.form()
    story, channel = str(form.get("story", "")), str(form.get("channel", ""))
    update = str(form.get("update", ""))
    if not guard(request).csrf_ok(str(form.get("csrf", ""))) or not update.isdigit():
        return _refused(request)
    here = board(request)
    context = context_of(here.settings, here.keys)

    def enqueue(job: DeliveryJob) -> None:
        job_id = f"redeliver-{job.notification.story}-{update}-{channel}-{uuid.uuid4().hex[:8]}"
        enqueue_delivery(here.client, here.keys, context, job.model_dump(mode="json"), job_id)

    try:
        redeliver_dead(here.client, here.keys, story, int(update), channel, enqueue)
    except RedeliveryError as exc:
        data = {**views.deliveries(here, time.time()), "error": str(exc)}
        return show(request, "deliveries.html", data, "Deliveries", 409)
    return RedirectResponse("/deliveries", status_code=303)


def rules(request: Request) -> Response:
    return show(request, "rules.html", rules_view.rules(board(request), time.time()), "Rules")


def rule(request: Request) -> Response:
    """A rule's retro-hunt: run it over the items kept in the last `days` days."""
    rule_id = request.path_params["rule_id"]
    given = request.query_params.get("days", "1")
    days = max(1, min(int(given), 365)) if given.isdigit() else 1
    found = rules_view.hunt(board(request), rule_id, days) if _ID.fullmatch(rule_id) else None
    if found is None:
        return show(request, "error.html", {"error": "no such rule"}, "Rule", 404)
    return show(request, "rule.html", found, f"Rule {rule_id}")


def feed(request: Request) -> Response:
    feed_id = request.path_params["feed_id"]
    found = views.feed(board(request), feed_id) if _ID.fullmatch(feed_id) else None
    if found is None:
        return show(request, "error.html", {"error": "no such feed in the feeds file"}, "Feed", 404)
    return show(request, "feed.html", found, f"Feed {feed_id}")


async def poll_now(request: Request) -> Response:
    """Make a feed due now: the next poller to look polls it."""
    form = await request.form()
    feed_id = request.path_params["feed_id"]
    if not guard(request).csrf_ok(str(form.get("csrf", ""))) or not _ID.fullmatch(feed_id):
        return _refused(request)
    here = board(request)
    if not any(spec.id == feed_id for spec in here.feeds()):
        return show(request, "error.html", {"error": "no such feed in the feeds file"}, "Feed", 404)
    Schedule(here.client, here.keys).poll_now(feed_id, time.time())
    return RedirectResponse(f"/feeds/{feed_id}", status_code=303)


def feeds(request: Request) -> Response:
    errors_only = request.query_params.get("errors") == "1"
    return show(request, "feeds.html", views.feeds(board(request), errors_only), "Feeds")


def pipeline(request: Request) -> Response:
    return show(request, "pipeline.html", views.pipeline(board(request), time.time()), "Pipeline")


def healthz(request: Request) -> Response:
    """200 when Redis answers and there is no problem (live workers and pollers, queues
    moving), else 503 with what is wrong."""
    try:
        report = views.pipeline(board(request), time.time())["status"]
    except redis.RedisError as exc:
        return JSONResponse({"ok": False, "problems": [f"Redis does not answer: {exc}"]}, 503)
    problems = report["problems"]
    return JSONResponse({"ok": not problems, "problems": problems}, 503 if problems else 200)


def metrics(request: Request) -> Response:
    """Prometheus's text format, read from Redis at the scrape (monitor.web.metrics)."""
    here = board(request)
    return Response(render_metrics(here.client, here.keys), media_type=METRICS_TYPE)


def sign_in_form(request: Request) -> Response:
    return show(request, "login.html", {"error": ""}, "Sign in")


async def sign_in(request: Request) -> Response:
    form = await request.form()
    if not guard(request).token_ok(str(form.get("token", ""))):
        return show(request, "login.html", {"error": "that is not the token"}, "Sign in", 401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, guard(request).session(), httponly=True, samesite="strict")
    return response


def _refused(request: Request) -> Response:
    data = {"error": "this form has expired or did not come from the dashboard: reload the page"}
    return show(request, "error.html", data, "Refused", 403)


def _said(exc: ValueError) -> str:
    """A validation error in the user's words: pydantic's own wording stripped."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        return "; ".join(
            str(error.get("msg", "")).removeprefix("Value error, ") for error in errors()
        )
    return str(exc)


def _limit(given: str) -> int:
    return max(1, min(int(given), 5000)) if given.isdigit() else 200
