"""Buttons, menus and forms of the tickets module, after a restart too.

Every component carries a fixed custom id (`tickets:<what>[:<arg>]`), so the bot's one interaction listener hands
any click on an old panel to `handle` (in the servers where the module is on): no view has to be registered at
start-up, and it works whichever process receives the click.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord

from wolaro.modules.tickets import actions, lifecycle, store
from wolaro.modules.tickets.actions import Actor
from wolaro.modules.tickets.config import Category, Config
from wolaro.modules.tickets.lifecycle import Desk
from wolaro.modules.tickets.models import Ticket
from wolaro.modules.tickets.service import MAX_COMMENT, MAX_REASON, Action, Status, custom_id, parse_custom_id
from wolaro.sdk import UserFacingError, get_logger

if TYPE_CHECKING:
    from wolaro.sdk import GuildConfig

log = get_logger(__name__)
Interaction = discord.Interaction[Any]


def actor_of(user: discord.abc.User) -> Actor:
    """Who clicked: their roles and whether they manage the server."""
    if isinstance(user, discord.Member):
        perms = user.guild_permissions
        return Actor(user.id, tuple(r.id for r in user.roles), perms.administrator or perms.manage_guild)
    return Actor(user.id, (), False)


async def desk_of(bot: Any, guild_id: int) -> Desk:
    """The desk of a guild, for the bot's own process."""
    return await lifecycle.desk_for(bot.services, bot.http, bot.user.id, guild_id)


async def reply(
    interaction: Interaction, text: str, *, view: discord.ui.View | None = None, embed: discord.Embed | None = None
) -> None:
    """An ephemeral answer (a follow-up when the interaction was already answered)."""
    options: dict[str, Any] = {"ephemeral": True, "allowed_mentions": discord.AllowedMentions.none()}
    if view is not None:
        options["view"] = view
    if embed is not None:
        options["embed"] = embed
    if interaction.response.is_done():
        await interaction.followup.send(text, **options)
    else:
        await interaction.response.send_message(text, **options)


async def handle(bot: Any, guild_config: GuildConfig, interaction: Interaction) -> bool:
    """Answer one of our components or forms (True); anything else is left alone (False)."""
    data: dict[str, Any] = dict(interaction.data or {})
    action = parse_custom_id(str(data.get("custom_id", "")))
    handler = HANDLERS.get(action.kind) if action is not None else None
    if action is None or handler is None or interaction.guild_id is None:
        return False
    desk = await desk_of(bot, interaction.guild_id)
    try:
        await handler(desk, interaction, action)
    except UserFacingError as exc:
        await reply(interaction, desk.t(exc.msgid, **exc.fields))
    except store.LimitReached as exc:
        await reply(
            interaction,
            desk.t(
                "You already have {count} open ticket(s) of this kind ({tickets}): close one before opening another.",
                count=len(exc.open_numbers),
                tickets=", ".join(f"#{n}" for n in exc.open_numbers),
            ),
        )
    return True


async def show_form(interaction: Interaction, modal: discord.ui.Modal) -> None:
    """Answer with a form that discord.py keeps no copy of: its submission reaches `handle` (restarts included)."""
    modal.stop()
    await interaction.response.send_modal(modal)


# ---------------------------------------------------------------------------------------------- opening
def _category(desk: Desk, key: str) -> Category:
    category = desk.config.category(key)
    if category is None:
        raise UserFacingError("This kind of ticket no longer exists: ask an admin to update the panel.")
    return category


def question_form(desk: Desk, category: Category) -> discord.ui.Modal:
    """The form of a category's questions (up to five)."""
    modal = discord.ui.Modal(
        title=desk.t("Open a ticket: {name}", name=category.name)[:45],
        custom_id=custom_id("form", category.key),
        timeout=None,
    )
    for index, question in enumerate(category.questions):
        modal.add_item(
            discord.ui.TextInput(
                label=question.label,
                placeholder=question.placeholder or None,
                required=question.required,
                style=discord.TextStyle.paragraph if question.long else discord.TextStyle.short,
                custom_id=f"q{index}",
                max_length=1000 if question.long else 200,
            )
        )
    return modal


async def _ask_or_open(desk: Desk, interaction: Interaction, key: str) -> None:
    category = _category(desk, key)
    mine = await store.open_numbers(desk.services.db, desk.guild_id, interaction.user.id, category.key)
    if len(mine) >= category.max_open_per_user:
        raise store.LimitReached(mine)  # said before the form; checked again, atomically, when the ticket opens
    if category.questions:
        await show_form(interaction, question_form(desk, category))
        return
    await _open(desk, interaction, category, [])


async def _open(desk: Desk, interaction: Interaction, category: Category, answers: list[dict[str, str]]) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    user = interaction.user
    ticket = await lifecycle.open_ticket(
        desk,
        category=category,
        opener_id=user.id,
        opener_name=user.name,
        answers=answers,
        origin_channel_id=interaction.channel_id,
    )
    await interaction.followup.send(
        desk.t("Your ticket is open: <#{channel}>", channel=ticket.channel_id), ephemeral=True
    )


async def on_open(desk: Desk, interaction: Interaction, action: Action) -> None:
    """A panel button: `tickets:open:<panel>:<category>`."""
    await _ask_or_open(desk, interaction, action.args[-1] if action.args else "")


async def on_menu(desk: Desk, interaction: Interaction, action: Action) -> None:
    """A panel menu: the chosen category is the value."""
    data: dict[str, Any] = dict(interaction.data or {})
    values = data.get("values") or [""]
    await _ask_or_open(desk, interaction, str(values[0]))


def _answers(interaction: Interaction) -> dict[str, str]:
    found: dict[str, str] = {}

    def walk(components: list[Any]) -> None:
        for comp in components:
            if comp.get("custom_id") and "value" in comp:
                found[str(comp["custom_id"])] = str(comp["value"])
            walk(list(comp.get("components") or []) + ([comp["component"]] if comp.get("component") else []))

    data: dict[str, Any] = dict(interaction.data or {})
    walk(list(data.get("components") or []))
    return found


async def on_form(desk: Desk, interaction: Interaction, action: Action) -> None:
    """The question form was submitted: open the ticket with the answers."""
    category = _category(desk, action.args[0] if action.args else "")
    given = _answers(interaction)
    answers = [
        {"question": q.label, "answer": given.get(f"q{i}", "").strip()} for i, q in enumerate(category.questions)
    ]
    await _open(desk, interaction, category, answers)


# ---------------------------------------------------------------------------------------------- in a ticket
async def _here(desk: Desk, interaction: Interaction) -> Ticket:
    ticket = await store.in_channel(desk.services.db, desk.guild_id, interaction.channel_id or 0)
    if ticket is None:
        raise UserFacingError("This is not a ticket channel.")
    return ticket


async def on_claim(desk: Desk, interaction: Interaction, action: Action) -> None:
    """The Claim button."""
    text = await actions.claim(desk, await _here(desk, interaction), actor_of(interaction.user))
    await interaction.response.send_message(text, allowed_mentions=discord.AllowedMentions.none())


def close_confirmation(desk: Desk, reason: str | None) -> tuple[discord.Embed, discord.ui.View]:
    """The question asked before closing; the reason travels in the embed (it is read back on confirmation)."""
    embed = discord.Embed(title=desk.t("Close this ticket?"), description=reason or None, colour=discord.Colour.red())
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Button(
            custom_id=custom_id("close-confirm"), label=desk.t("Close the ticket"), style=discord.ButtonStyle.danger
        )
    )
    view.stop()  # discord.py keeps no copy: the click reaches `handle`
    return embed, view


async def on_close(desk: Desk, interaction: Interaction, action: Action) -> None:
    """The Close button: a form asks the reason, then a confirmation button closes."""
    ticket = await _here(desk, interaction)
    actions.ensure_open(ticket)
    _ensure_may_close(desk, ticket, actor_of(interaction.user))
    modal = discord.ui.Modal(title=desk.t("Close the ticket")[:45], custom_id=custom_id("close-form"), timeout=None)
    modal.add_item(
        discord.ui.TextInput(
            label=desk.t("Reason (optional)")[:45], required=False, max_length=MAX_REASON, custom_id="reason"
        )
    )
    await show_form(interaction, modal)


def _ensure_may_close(desk: Desk, ticket: Ticket, actor: Actor) -> None:
    if actor.user_id != ticket.opener_id:
        actions.ensure_staff(desk, ticket, actor)


async def on_close_form(desk: Desk, interaction: Interaction, action: Action) -> None:
    """The reason was given: ask for confirmation."""
    embed, view = close_confirmation(desk, _answers(interaction).get("reason", "").strip() or None)
    await reply(interaction, "", embed=embed, view=view)


async def on_close_confirm(desk: Desk, interaction: Interaction, action: Action) -> None:
    """Confirmed: close now (the transcript follows on its own)."""
    ticket = await _here(desk, interaction)
    _ensure_may_close(desk, ticket, actor_of(interaction.user))
    embeds = interaction.message.embeds if interaction.message else []
    reason = (embeds[0].description or None) if embeds else None
    await interaction.response.defer(ephemeral=True, thinking=True)
    if not await lifecycle.close_ticket(desk, ticket, closed_by=interaction.user.id, reason=reason):
        raise UserFacingError("This ticket is closed.")
    await interaction.followup.send(desk.t("Ticket closed."), ephemeral=True)


async def on_reopen(desk: Desk, interaction: Interaction, action: Action) -> None:
    """The Reopen button."""
    ticket = await _here(desk, interaction)
    actions.ensure_staff(desk, ticket, actor_of(interaction.user))
    await interaction.response.defer(ephemeral=True, thinking=True)
    if not await lifecycle.reopen_ticket(desk, ticket, by=interaction.user.id):
        raise UserFacingError("This ticket is open already.")
    await interaction.followup.send(desk.t("Ticket reopened."), ephemeral=True)


async def on_delete(desk: Desk, interaction: Interaction, action: Action) -> None:
    """The Delete button: the channel goes once the transcript is saved."""
    ticket = await _here(desk, interaction)
    actions.ensure_staff(desk, ticket, actor_of(interaction.user))
    await interaction.response.defer(ephemeral=True, thinking=True)
    await remove(desk, ticket, interaction.user.id)
    await interaction.followup.send(desk.t("This ticket's channel will be removed in a few seconds."), ephemeral=True)


async def remove(desk: Desk, ticket: Ticket, by: int) -> None:
    """Close if needed, then remove the channel as soon as the transcript is saved."""
    if ticket.status == Status.OPEN:
        await lifecycle.close_ticket(desk, ticket, closed_by=by, reason=desk.t("Deleted by staff."))
    await lifecycle.schedule_delete(desk, ticket, timedelta(0))


# ---------------------------------------------------------------------------------------------- rating
async def on_rate(desk: Desk, interaction: Interaction, action: Action) -> None:
    """A star button: the opener may add a comment, then the rating is kept."""
    ticket = await store.get(desk.services.db, int(action.args[0]))
    if ticket is None or ticket.guild_id != desk.guild_id or interaction.user.id != ticket.opener_id:
        raise UserFacingError("Only the member who opened this ticket can rate it.")
    if ticket.rating is not None:
        raise UserFacingError("You already rated this ticket. Thank you!")
    stars = min(max(int(action.args[1]), 1), 5)
    modal = discord.ui.Modal(
        title=desk.t("Your rating: {stars}", stars="★" * stars)[:45],
        custom_id=custom_id("rate-form", ticket.id, stars),
        timeout=None,
    )
    modal.add_item(
        discord.ui.TextInput(
            label=desk.t("A comment? (optional)")[:45],
            required=False,
            style=discord.TextStyle.paragraph,
            max_length=MAX_COMMENT,
            custom_id="comment",
        )
    )
    await show_form(interaction, modal)


async def on_rate_form(desk: Desk, interaction: Interaction, action: Action) -> None:
    """Keep the rating and comment."""
    ticket_id, stars = int(action.args[0]), min(max(int(action.args[1]), 1), 5)
    comment = _answers(interaction).get("comment", "").strip() or None
    if not await store.rate(desk.services.db, desk.guild_id, ticket_id, interaction.user.id, stars, comment):
        raise UserFacingError("You already rated this ticket. Thank you!")
    await reply(interaction, desk.t("Thank you for your feedback! ({stars})", stars="★" * stars))


HANDLERS = {
    "open": on_open,
    "menu": on_menu,
    "form": on_form,
    "claim": on_claim,
    "close": on_close,
    "close-form": on_close_form,
    "close-confirm": on_close_confirm,
    "reopen": on_reopen,
    "delete": on_delete,
    "rate": on_rate,
    "rate-form": on_rate_form,
}

__all__ = ["Config", "handle"]
