"""The worker's pipeline: match → group into stories → decide → hand to delivery.

Pure of RQ: the worker tasks build a Pipeline and call it; deliveries leave
through the `enqueue_delivery` callable it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import redis

from monitor.channels import Channel, route
from monitor.clock import Clock
from monitor.decision import Decision, LastNotification, decide
from monitor.delivery import DeliveryJob
from monitor.history import History
from monitor.item import Item, field_texts
from monitor.keyspace import Keyspace, as_text
from monitor.notification import Notification
from monitor.quote import quote_for
from monitor.rules.match import Match
from monitor.rules.reloader import RuleReloader
from monitor.rules.rule import Rule
from monitor.silence import SilenceBook
from monitor.story import Story, StoryBook, StoryItem
from monitor.text.fingerprint import fingerprint

EnqueueDelivery = Callable[[DeliveryJob], None]


class Pipeline:
    """Everything a worker does with a batch of items and with stories that come due."""

    def __init__(
        self,
        client: redis.Redis,
        keys: Keyspace,
        rules: RuleReloader,
        channels: Mapping[str, Channel],
        retention: int,
        enqueue_delivery: EnqueueDelivery,
    ) -> None:
        self.redis = client
        self.keys = keys
        self.rules = rules
        self.channels = channels
        self.stories = StoryBook(client, keys, retention)
        self.silences = SilenceBook(client, keys)
        self.history = History(client, keys, retention)
        self.enqueue_delivery = enqueue_delivery

    def process(self, items: Sequence[Item], at: Sequence[float] | None, clock: Clock) -> float:
        """Match, record and group each item; return the latest clock time seen."""
        latest = 0.0
        found = self.rules.matcher.match_many(items)
        for index, (item, matches) in enumerate(zip(items, found, strict=True)):
            now = at[index] if at is not None else clock.now()
            latest = max(latest, now)
            self.history.record_item(item)
            for match in matches:
                if match.alert:
                    self._group(item, match, now)
        return latest

    def _group(self, item: Item, match: Match, now: float) -> None:
        rule = self._rule(match.rule)
        if rule is None:
            return
        texts = field_texts(item)
        entry = StoryItem(
            id=item.id,
            source=item.source,
            title=item.title,
            link=item.link,
            at=now,
            quote=quote_for(item, match),
            vector=fingerprint(f"{texts.title}\n{texts.body or texts.lead}"),
        )
        story, changed = self.stories.place(rule.id, entry, rule.spec.policy, now)
        if changed:
            self.redis.zadd(self.keys.due, {story.id: now})

    def flush_due(self, now: float, *, waited: bool = False) -> int:
        """Decide the stories due by `now` (all pending when `waited`); return deliveries queued."""
        upto: float | str = "+inf" if waited else now
        sent = 0
        for raw in self.redis.zrangebyscore(self.keys.due, "-inf", upto):
            story_id = as_text(raw)
            if self.redis.zrem(self.keys.due, story_id):
                sent += self._decide(story_id, now, waited)
        return sent

    def _decide(self, story_id: str, now: float, waited: bool) -> int:
        story = self.stories.get(story_id)
        rule = self._rule(story.rule) if story else None
        if story is None or rule is None:
            return 0
        last = self._last(story_id)
        decision = decide(
            story, rule.spec.policy, last, self.silences.active(now), now, waited=waited
        )
        if decision.again_at is not None:
            self.redis.zadd(self.keys.due, {story_id: decision.again_at})
        if not decision.notify:
            return 0
        update = last.update + 1 if last else 0
        record = LastNotification(update=update, at=now, items=len(story.items))
        self.redis.set(
            self.keys.notification_log(story_id),
            record.model_dump_json(),
            ex=self.history.retention,
        )
        return self._send(story, rule, decision, update, now)

    def _send(self, story: Story, rule: Rule, decision: Decision, update: int, now: float) -> int:
        note = notification_of(story, rule, decision, update)
        names = route(self.channels, rule.id, rule.spec.severity, update > 0)
        for name in names:
            self.enqueue_delivery(
                DeliveryJob(
                    prefix=self.keys.prefix, channel=name, notification=note, first_attempt=now
                )
            )
        return len(names)

    def _last(self, story_id: str) -> LastNotification | None:
        raw = self.redis.get(self.keys.notification_log(story_id))
        return LastNotification.model_validate_json(raw) if raw else None

    def _rule(self, rule_id: str) -> Rule | None:
        return self.rules.matcher.rule(rule_id)


def notification_of(story: Story, rule: Rule, decision: Decision, update: int) -> Notification:
    """The notification of a story update: the first item for a new story, the newest after."""
    shown = story.items[0] if update == 0 else story.items[-1]
    return Notification(
        rule=rule.id,
        rule_title=rule.spec.title,
        severity=rule.spec.severity,
        story=story.id,
        update=update,
        headline=shown.title,
        quote=shown.quote,
        sources=[item.as_source() for item in story.items],
        reason=decision.reason.value,
    )
