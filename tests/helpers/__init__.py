"""Fake Discord for tests: drive a real discord.py 2.7 bot through its own parsers, no network.

- ``payloads``: real-shaped gateway/interaction payload builders and ``snowflake(datetime)``.
- ``gateway``: ``FakeDiscord(bot)`` (state set-up, ``add_guild``, ``dispatch_*``, ``settle``).
- ``http``: ``HttpRecorder`` (REST calls the bot made) and ``FakeWebhookAdapter`` (interaction replies).
- ``interactions``: ``slash``, ``context_menu``, ``click``, ``submit_modal`` -> ``InteractionResult``;
  ``click_together`` dispatches several clicks before any is handled (two moderators at once).

See ``tests/test_harness.py`` for a worked example of every path.
"""

from .gateway import FakeDiscord, HarnessError, default_guild
from .http import Call, HttpRecorder, WebhookCall
from .interactions import InteractionResult, click, click_together, context_menu, slash, submit_modal

__all__ = ["Call", "FakeDiscord", "HarnessError", "HttpRecorder", "InteractionResult", "WebhookCall",
           "click", "click_together", "context_menu", "default_guild", "slash", "submit_modal"]
