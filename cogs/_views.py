"""Discord rendering shared by the cogs: alert cards as embeds, persistent case and review-page buttons."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord

from bot.alerts import AlertCard
from bot.domain import Case, CaseStatus
from bot.storage.casebook import NOTE_MAX

log = logging.getLogger(__name__)

CASE_ACTIONS = ("confirm", "dismiss", "escalate", "delete", "timeout", "record", "note")
CASE_TEMPLATE = re.compile(r"govmod:case:(?P<id>\d+):(?P<action>" + "|".join(CASE_ACTIONS) + r")")
PAGE_TEMPLATE = re.compile(r"govmod:review:(?P<offset>\d+):(?P<dir>prev|next)")
HISTORY_TEMPLATE = re.compile(r"govmod:history:(?P<user>\d+):(?P<offset>\d+):(?P<dir>prev|next)")
BUTTONS: dict[str, tuple[str, discord.ButtonStyle]] = {
    "confirm": ("Confirm", discord.ButtonStyle.danger),
    "dismiss": ("Dismiss", discord.ButtonStyle.secondary),
    "escalate": ("Escalate", discord.ButtonStyle.primary),
    "delete": ("Delete the message(s)", discord.ButtonStyle.danger),
    "timeout": ("Time out the author(s)", discord.ButtonStyle.danger),
    "record": ("Only record", discord.ButtonStyle.secondary),
    "note": ("Add note", discord.ButtonStyle.secondary),
}


def to_embed(card: AlertCard) -> discord.Embed:
    """Turn a plain alert card into a discord.Embed."""
    embed = discord.Embed(title=card.title, description=card.description, colour=card.colour, url=card.url,
                          timestamp=card.timestamp)
    for f in card.fields:
        embed.add_field(name=f.name, value=f.value or "-", inline=f.inline)
    if card.footer:
        embed.set_footer(text=card.footer)
    return embed


class CaseButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=CASE_TEMPLATE):
    """A persistent button `govmod:case:{id}:{action}`; the review cog decides what a click does."""

    def __init__(self, case_id: int, action: str, *, label: str | None = None, row: int | None = None) -> None:
        """Build the button for one case and action."""
        text, style = BUTTONS[action]
        super().__init__(
            discord.ui.Button(label=label or text, style=style, custom_id=f"govmod:case:{case_id}:{action}"),
            row=row,
        )
        self.case_id = case_id
        self.action = action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> CaseButton:
        """Rebuild the button from its custom id (works for alerts sent before a restart)."""
        return cls(int(match["id"]), match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the click to the review cog."""
        cog = interaction.client.get_cog("Review")  # type: ignore[attr-defined]
        if cog is None:
            await interaction.response.send_message("govmod's review module is not loaded.", ephemeral=True)
            return
        await cog.handle_click(interaction, self.case_id, self.action)


class PageButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PAGE_TEMPLATE):
    """A persistent previous/next button of the `/govmod review` list: `govmod:review:{offset}:{dir}`."""

    def __init__(self, offset: int, direction: str, *, disabled: bool = False) -> None:
        """Build a button that opens the page starting at `offset`."""
        super().__init__(
            discord.ui.Button(label="◀ Older" if direction == "prev" else "Newer ▶",
                              style=discord.ButtonStyle.secondary, disabled=disabled,
                              custom_id=f"govmod:review:{offset}:{direction}"),
            row=4,
        )
        self.offset = offset

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> PageButton:
        """Rebuild the button from its custom id."""
        return cls(int(match["offset"]), match["dir"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the requested page in place."""
        cog = interaction.client.get_cog("Review")  # type: ignore[attr-defined]
        if cog is None:
            await interaction.response.send_message("govmod's review module is not loaded.", ephemeral=True)
            return
        await cog.show_page(interaction, self.offset, edit=True)


class HistoryButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=HISTORY_TEMPLATE):
    """A persistent previous/next button of a member's history: `govmod:history:{user}:{offset}:{dir}`."""

    def __init__(self, user_id: int, offset: int, direction: str, *, disabled: bool = False) -> None:
        """Build a button that opens the history page starting at `offset`."""
        super().__init__(
            discord.ui.Button(label="◀ Newer" if direction == "prev" else "Older ▶",
                              style=discord.ButtonStyle.secondary, disabled=disabled,
                              custom_id=f"govmod:history:{user_id}:{offset}:{direction}"),
        )
        self.user_id = user_id
        self.offset = offset

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> HistoryButton:
        """Rebuild the button from its custom id."""
        return cls(int(match["user"]), int(match["offset"]), match["dir"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the requested history page in place."""
        cog = interaction.client.get_cog("Review")  # type: ignore[attr-defined]
        if cog is None:
            await interaction.response.send_message("govmod's review module is not loaded.", ephemeral=True)
            return
        await cog.show_history(interaction, self.user_id, self.offset, edit=True)


class NoteModal(discord.ui.Modal):
    """The form a moderator fills in to add a note to a case."""

    text: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Note", style=discord.TextStyle.paragraph, custom_id="note", max_length=NOTE_MAX,
        placeholder="What you found, what you told the member, why you decided so...",
    )

    def __init__(self, case_id: int, user_id: int) -> None:
        """Build the form for one case (one form per moderator and case at a time)."""
        super().__init__(title=f"Note on case #{case_id}", timeout=900,
                         custom_id=f"govmod:note:{case_id}:{user_id}")
        self.case_id = case_id

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the note to the review cog."""
        cog = interaction.client.get_cog("Review")  # type: ignore[attr-defined]
        if cog is None:
            await interaction.response.send_message("govmod's review module is not loaded.", ephemeral=True)
            return
        await cog.add_note(interaction, self.case_id, str(self.text.value))


async def show(interaction: discord.Interaction[Any], embed: discord.Embed, view: discord.ui.View | None, *,
               edit: bool = False, content: str | None = None) -> None:
    """Answer with an embed: edit the clicked message in place, or send it ephemerally."""
    if edit:
        await interaction.response.edit_message(content=content, embed=embed, view=view)
        return
    kwargs: dict[str, Any] = {"embed": embed, "ephemeral": True}
    if view is not None:
        kwargs["view"] = view
    if content is not None:
        kwargs["content"] = content
    await interaction.response.send_message(**kwargs)


def is_open(case: Case) -> bool:
    """Return True while a case still awaits a decision."""
    return case.is_open


def case_view(case: Case) -> discord.ui.View | None:
    """Return the buttons of a case: Confirm / Dismiss / Escalate while open, Add note until merged."""
    if case.status is CaseStatus.MERGED:
        return None
    view = discord.ui.View(timeout=None)
    if not is_open(case):
        actions: tuple[str, ...] = ("note",)
    elif case.status is CaseStatus.ESCALATED:
        actions = ("confirm", "dismiss", "note")
    else:
        actions = ("confirm", "dismiss", "escalate", "note")
    for action in actions:
        view.add_item(CaseButton(case.id, action))
    return view


def history_view(user_id: int, offset: int, page_size: int, total: int) -> discord.ui.View | None:
    """Return the newer/older buttons of a member's history (None if it fits on one page)."""
    if total <= page_size:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(HistoryButton(user_id, max(0, offset - page_size), "prev", disabled=offset == 0))
    view.add_item(HistoryButton(user_id, offset + page_size, "next", disabled=offset + page_size >= total))
    return view


def confirm_view(case_id: int) -> discord.ui.View:
    """Return the follow-up choice after Confirm: delete, time out, or only record."""
    view = discord.ui.View(timeout=None)
    for action in ("delete", "timeout", "record"):
        view.add_item(CaseButton(case_id, action))
    return view


def page_view(cases: list[Case], offset: int, page_size: int, total: int) -> discord.ui.View:
    """Return one row of case buttons per listed case, plus previous/next."""
    view = discord.ui.View(timeout=None)
    for row, case in enumerate(cases[:4]):
        for action in ("confirm", "dismiss", "escalate"):
            view.add_item(CaseButton(case.id, action, label=f"#{case.id} {BUTTONS[action][0]}", row=row))
    view.add_item(PageButton(max(0, offset - page_size), "prev", disabled=offset == 0))
    view.add_item(PageButton(offset + page_size, "next", disabled=offset + page_size >= total))
    return view

