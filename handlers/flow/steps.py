"""The flow's course: start a tool, ask for each missing input, then order or quote the job;
and redraw the live message when an option changes."""

from __future__ import annotations

import contextlib
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import texts
from bot.actors import photo_input
from bot.catalog import CATALOG
from bot.catalog.model import (
    Entry,
    Input,
    InputKind,
    Measures,
    Sources,
    Value,
    too_long_for,
    visible,
)
from bot.context import BotContext
from bot.flow import (
    TERMS,
    entry_of,
    files,
    gathering,
    is_active,
    is_collected,
    job_spec,
    missing,
    quoted,
)
from bot.tools import OutputKind
from handlers.actors import owned_actor
from handlers.flow.keyboards import button, option_rows
from handlers.keyboards import Rows, rows_of
from handlers.orders import balance_covering, offer, place_order, quote_keyboard
from handlers.terms import shows_terms, terms_keyboard
from storage.flows import Flow
from storage.jobs import JobNotQuoted


async def start_command(update: Update, context: BotContext) -> None:
    """Start the command's tool; a text after the command is its prompt."""
    message = update.effective_message
    assert message and message.text
    command = message.text.split()[0].lstrip("/").split("@")[0].lower()
    entry = next(entry for entry in CATALOG.values() if entry.command == command)
    parts = message.text.split(maxsplit=1)
    text = parts[1].strip() if len(parts) > 1 else ""
    inputs: dict[str, Any] = {}
    prompt = next((item for item in entry.inputs if item.kind is InputKind.TEXT), None)
    if text and prompt is not None:
        if len(text) > prompt.max_chars:
            await message.reply_text(texts.prompt_too_long(prompt.max_chars))
        else:
            inputs[prompt.name] = text
    await begin(update, context, entry, inputs)


async def begin(
    update: Update,
    context: BotContext,
    entry: Entry,
    inputs: dict[str, Any],
    measures: Measures | None = None,
) -> None:
    """Start a flow of `entry` with what is known already (and what was measured of it),
    ending the user's current one (saying so); the terms come first where the entry takes
    a real person's face."""
    assert update.effective_chat
    needs_terms = entry.consent and context.user.terms_accepted_at is None
    flow, previous = await context.services.flows.start(
        context.user.id,
        update.effective_chat.id,
        tool=entry.name,
        step=TERMS if needs_terms else 0,
        inputs=inputs,
        measures=dict(measures or {}),
    )
    await announce_left(update, context, previous)
    if needs_terms:
        message = await update.effective_chat.send_message(
            texts.TERMS, reply_markup=terms_keyboard()
        )
        await context.services.flows.attach(flow, message.message_id)
        return
    await proceed(update, context, entry, flow)


async def announce_left(update: Update, context: BotContext, previous: Flow | None) -> None:
    """One line saying the flow the user was in has ended, if they were in one."""
    assert update.effective_chat
    if previous is None:
        return
    if is_active(previous):
        entry = entry_of(previous)
        assert entry is not None
        await update.effective_chat.send_message(texts.flow_left(entry.tool.title))
    elif previous.quote_job_id is not None:
        await _drop_quote(context, previous)


async def leave(update: Update, context: BotContext) -> None:
    """End the user's flow because something else starts (the actor conversation)."""
    await announce_left(update, context, await context.services.flows.end(context.user.id))


async def proceed(update: Update, context: BotContext, entry: Entry, flow: Flow) -> None:
    """Check the balance covers the job, then ask for what is missing (or quote)."""
    options, _ = await options_for(context, entry, flow.options, flow.measures)
    measures = dict(flow.measures)
    measured = measured_input(entry)
    if measured is not None and measured.measure and measured.kind is InputKind.AUDIO:
        # The shortest audio bills one second: the balance must cover that much at least.
        measures.setdefault(measured.measure, 1)
    price = entry.price_of(options, measures, context.services.settings.credit_multiplier)
    balance = await balance_covering(update, context, price or 0)
    if balance is None:
        await context.services.flows.end(flow.user_id, flow.revision)
        return
    await advance(update, context, entry, flow, answered=None, intro_balance=balance)


async def cancel(update: Update, context: BotContext) -> None:
    """Leave the flow; a quote it left is withdrawn. Nothing is charged."""
    assert update.effective_message
    flow = await context.services.flows.end(context.user.id)
    if flow is not None and flow.quote_job_id is not None:
        await _drop_quote(context, flow)
    active = is_active(flow) or (flow is not None and flow.quote_job_id is not None)
    await update.effective_message.reply_text(
        texts.CANCELLED if active else texts.NOTHING_TO_CANCEL
    )


async def _drop_quote(context: BotContext, flow: Flow) -> None:
    assert flow.quote_job_id is not None
    # Already confirmed (it runs) or declined: nothing to withdraw.
    with contextlib.suppress(JobNotQuoted, KeyError):
        await context.services.engine.decline(flow.quote_job_id, flow.user_id)


async def advance(
    update: Update,
    context: BotContext,
    entry: Entry,
    flow: Flow,
    *,
    answered: Input | None,
    intro_balance: int | None = None,
) -> None:
    """Ask for the next missing input; once none is missing, order or quote the job.

    `answered` is the input that just arrived in answer to its question. If that question
    showed the final price (it was the last, and the price does not depend on the answer
    itself, as it does on audio's length), the job is ordered at once. Otherwise
    (everything came at once: from a menu, a caption, a prompt after the command) the bot
    quotes the job for the user to start.
    """
    flows = context.services.flows
    options, sources = await options_for(context, entry, flow.options, flow.measures)
    pending = missing(entry, flow.model_copy(update={"options": options}))
    if pending:
        item = pending[0]
        offered_ids: list[str] = []
        if item.source is not None:
            offered_ids = [i.id for i in await context.services.studio.lists.items(item.source)]
        elif item.kind is InputKind.CLIPS:
            offered_ids = await video_results(context)
        saved = await flows.save(
            flow,
            step=entry.inputs.index(item),
            # A price that waits on the answer, or is the most a linked video can cost, is
            # quoted for the user to start.
            priced=pending == [item] and item.measure is None and not _at_most(flow.measures),
            options=options,
            view="",
            offered=offered_ids,
        )
        if saved is not None:
            await _ask(update, context, entry, saved, item, sources, intro_balance)
        return
    saved = await flows.save(flow, step=quoted(entry), options=options, view="", offered=[])
    if saved is None:
        return
    spec = job_spec(entry, saved)
    multiplier = context.services.settings.credit_multiplier
    price = entry.price_of(options, saved.measures, multiplier)
    assert price is not None, f"{entry.name}: no price for {options}"
    if answered is not None and flow.priced:
        # The flow stays at its quoted step, no longer active, so that the rest of an album
        # whose first photo ordered the job is known for what it is.
        await place_order(update, context, entry.tool, spec, price)
        return
    rows = await quote_rows(context, entry, saved, sources)
    quote = await offer(
        update,
        context,
        entry.tool,
        spec,
        price,
        lambda balance: quote_text(context, entry, saved, price, balance),
        options=rows,
    )
    if quote is None:
        await flows.end(saved.user_id, saved.revision)
        return
    await flows.attach(saved, quote.message_id, quote_job_id=quote.job.id)


async def options_for(
    context: BotContext, entry: Entry, chosen: dict[str, Value], measures: Measures
) -> tuple[dict[str, Value], Sources]:
    defaults = await context.services.user_settings.get(context.user.id)
    adult = context.services.studio.adult(context.user)
    return await context.services.studio.options(entry, chosen, defaults, adult, measures)


def measured_input(entry: Entry) -> Input | None:
    """The input whose measured length the price bills, if any."""
    measure = entry.price.per_second
    return next((i for i in entry.inputs if measure and i.measure == measure), None)


def _at_most(measures: Measures) -> bool:
    """Whether a length is not known in advance: the price is the most it can cost."""
    return None in measures.values()


VIDEO_RESULT_TOOLS = frozenset(
    entry.name for entry in CATALOG.values() if entry.tool.output is OutputKind.VIDEO
)
VIDEO_RESULTS_OFFERED = 8


async def video_results(context: BotContext) -> list[str]:
    """The user's latest video results that can be used again, as `<job id>:<output>`."""
    jobs = await context.services.jobs.delivered(
        context.user.id, VIDEO_RESULT_TOOLS, VIDEO_RESULTS_OFFERED
    )
    refs = [
        f"{job.id}:{index}"
        for job in jobs
        for index, output in enumerate(job.outputs)
        if output.asset_id
    ]
    return refs[:VIDEO_RESULTS_OFFERED]


async def quote_rows(context: BotContext, entry: Entry, flow: Flow, sources: Sources) -> Rows:
    """The buttons above a quote's Start: its options, and for a video too long for some
    choices, the offer to use its first seconds."""
    rows = await option_rows(context, entry, flow, sources)
    limit = trim_limit(context, entry, flow)
    if limit is not None and not flow.view:
        rows.append([button(flow, texts.trim_button(limit), "t")])
    return rows


def trim_limit(context: BotContext, entry: Entry, flow: Flow) -> int | None:
    """The length to cut the flow's video to, when it is a video the user sent that is too
    long for some choices; None otherwise."""
    measured = measured_input(entry)
    if measured is None or measured.kind is not InputKind.VIDEO:
        return None
    source = files(flow, measured.name)
    if len(source) != 1 or source[0].file_id is None:
        return None
    adult = context.services.studio.adult(context.user)
    left_out = too_long_for(entry, flow.options, adult, flow.measures)
    return None if left_out is None else left_out[1]


def quote_text(context: BotContext, entry: Entry, flow: Flow, price: int, balance: int) -> str:
    """The quote of a flow whose inputs are all in: what was measured, the price, and the
    choices a too long video leaves out."""
    title = entry.tool.title
    if _at_most(flow.measures):
        return texts.quote_at_most(title, price, balance)
    adult = context.services.studio.adult(context.user)
    left_out = too_long_for(entry, flow.options, adult, flow.measures)
    seconds = flow.measures.get(entry.price.per_second or "")
    if left_out is None or seconds is None:
        return texts.quote(title, price, balance, flow.measures)
    choices, limit = left_out
    labels = [choice.label for choice in choices]
    return texts.quote_leaving_out(title, price, balance, seconds, labels, limit)


async def _ask(
    update: Update,
    context: BotContext,
    entry: Entry,
    flow: Flow,
    item: Input,
    sources: Sources,
    intro_balance: int | None,
) -> None:
    assert update.effective_chat
    text, keyboard = await question(context, entry, flow, item, sources, intro_balance)
    message = await update.effective_chat.send_message(text, reply_markup=keyboard)
    await context.services.flows.attach(flow, message.message_id)


async def question(
    context: BotContext,
    entry: Entry,
    flow: Flow,
    item: Input,
    sources: Sources,
    intro_balance: int | None = None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The question asking for `item`, and its keyboard."""
    multiplier = context.services.settings.credit_multiplier
    asked = entry.asked(flow.options)
    last = [i for i in asked if not is_collected(flow, i)] == [item]
    rows: Rows = []
    picks: list[InlineKeyboardButton] = []
    if item.kind is InputKind.FACE:
        actors = await context.services.actors.list(context.user.id)
        picks = [button(flow, texts.pick_actor_button(a.name), "a", a.id) for a in actors]
    elif item.kind is InputKind.AUDIO:
        actors = await context.services.actors.list(context.user.id)
        picks = [
            button(flow, texts.pick_actor_button(a.name), "a", a.id)
            for a in actors
            if a.voice is not None and a.voice.seconds <= (item.max_seconds or a.voice.seconds)
        ]
    rows += rows_of(picks)
    if item.kind is InputKind.CHOICE:
        adult = context.services.studio.adult(context.user)
        rows += rows_of(
            [
                button(flow, choice.label, "c", index)
                for index, choice in enumerate(item.choices)
                if choice in visible(item.choices, flow.options, adult)
            ],
            3,
        )
    if item.kind is InputKind.CATEGORY and item.source is not None:
        listed = await context.services.studio.lists.items(item.source)
        labels = {source.id: source.label for source in listed}
        rows += [
            [button(flow, labels.get(value, value), "k", index)]
            for index, value in enumerate(flow.offered)
        ]
    gathered = None
    if item.kind is InputKind.CLIPS:
        gathered = len(files(flow, gathering(item)))
        rows += rows_of(await _result_picks(context, flow))
        price = entry.price_of(flow.options, flow.measures, multiplier)
        if gathered >= item.min_count and price is not None:
            rows.append([button(flow, texts.clips_done_button(gathered, price), "d")])
    if item.optional:
        rows.append([button(flow, texts.SKIP_BUTTON, "s")])
    price_line = None
    # A question whose answer sets the price (a video's length) shows no options: they come
    # on the quote, each with the price it makes.
    if last and item.measure is None:
        rows += await option_rows(context, entry, flow, sources)
        price = entry.price_of(flow.options, flow.measures, multiplier)
        if price is not None and _at_most(flow.measures):
            price_line = texts.price_line_at_most(price)
        elif price is not None:
            price_line = texts.price_line(price, has_options=bool(entry.options))
    intro = None
    if intro_balance is not None:
        intro = texts.flow_intro(
            entry.tool.title, _price_text(context, entry, flow), intro_balance
        )
    question_text = texts.QUESTIONS[entry.name][item.name]
    if gathered:
        question_text = texts.clips_question(gathered, item.min_count, item.max_count)
    text = texts.question(
        step=asked.index(item) + 1,
        steps=len(asked),
        question=question_text,
        intro=intro,
        actors=bool(picks),
        skip=item.optional,
        price_line=price_line,
    )
    return text, InlineKeyboardMarkup(rows) if rows else None


async def _result_picks(context: BotContext, flow: Flow) -> list[InlineKeyboardButton]:
    """A button for each of the user's video results the question offers."""
    picks = []
    for index, ref in enumerate(flow.offered):
        job_id, _, _ = ref.partition(":")
        job = await context.services.jobs.get(job_id)
        if job is not None:
            title = CATALOG[job.tool].tool.title
            picks.append(
                button(flow, texts.result_pick(index + 1, title, job.created_at), "r", index)
            )
    return picks


def _price_text(context: BotContext, entry: Entry, flow: Flow) -> str:
    multiplier = context.services.settings.credit_multiplier
    price = entry.price_of(flow.options, flow.measures, multiplier)
    if price is not None:
        return texts.at_most(price) if _at_most(flow.measures) else texts.credits(price)
    measured = measured_input(entry)
    if measured is not None and measured.measure and measured.kind is InputKind.AUDIO:
        per_second = entry.price_of(flow.options, {measured.measure: 1}, multiplier)
        assert per_second is not None, f"{entry.name}: no price a second for {flow.options}"
        return texts.price_per_second(per_second, measured.max_seconds)
    return texts.PRICE_AFTER_VIDEO


async def refresh(
    update: Update, context: BotContext, entry: Entry, flow: Flow, text_changed: bool
) -> None:
    """Show the flow's keyboard (and, after an option changed, its price) on the pressed
    message; a quote is quoted again with the new options."""
    query = update.callback_query
    assert query
    # The flow's options are resolved already: only the lists they are shown with are needed.
    sources = await context.services.studio.sources(entry, flow.options)
    if flow.step == quoted(entry):
        await _requote(update, context, entry, flow, sources, text_changed)
        return
    item = entry.inputs[flow.step]
    text, keyboard = await question(context, entry, flow, item, sources)
    if text_changed:
        await query.edit_message_text(text, reply_markup=keyboard)
    else:
        await query.edit_message_reply_markup(keyboard)


async def _requote(
    update: Update,
    context: BotContext,
    entry: Entry,
    flow: Flow,
    sources: Sources,
    text_changed: bool,
) -> None:
    query = update.callback_query
    assert query and flow.quote_job_id is not None
    services = context.services
    rows = await quote_rows(context, entry, flow, sources)
    if not text_changed:
        job = await services.jobs.get(flow.quote_job_id)
        assert job is not None
        await query.edit_message_reply_markup(quote_keyboard(job, rows))
        return
    try:
        await services.engine.decline(flow.quote_job_id, flow.user_id)
    except (JobNotQuoted, KeyError):
        await services.flows.end(flow.user_id, flow.revision)
        await query.edit_message_reply_markup(None)
        return
    spec = job_spec(entry, flow)
    price = entry.price_of(flow.options, flow.measures, services.settings.credit_multiplier)
    assert price is not None and update.effective_chat
    job = await services.engine.quote(
        user_id=flow.user_id, chat_id=flow.chat_id, tool=entry.tool, spec=spec, price=price
    )
    balance = await services.ledger.balance(flow.user_id)
    await query.edit_message_text(
        quote_text(context, entry, flow, price, balance), reply_markup=quote_keyboard(job, rows)
    )
    await services.flows.attach(flow, flow.message_id or 0, quote_job_id=job.id)


async def agree_to_terms(update: Update, context: BotContext) -> None:
    """Record the consent, then go on with the flow that asked for it. A tap that gives none
    (the second of a double tap, or the data under another message) is a gone button."""
    query = update.callback_query
    assert query
    if context.user.terms_accepted_at is not None or not shows_terms(query.message):
        await query.answer(texts.BUTTON_GONE)
        return
    await context.services.users.accept_terms(context.user.id)
    await query.answer()
    await query.edit_message_text(texts.TERMS_ACCEPTED)
    flow = await context.services.flows.get(context.user.id)
    if flow is None or flow.step != TERMS:
        return
    entry = entry_of(flow)
    assert entry is not None
    await proceed(update, context, entry, flow)


async def use_actor(update: Update, context: BotContext) -> None:
    """Start a tool from an actor's card, with the actor's face as its first face."""
    query = update.callback_query
    assert query and query.data
    tool, _, _ = query.data.partition(":with:")
    entry = CATALOG[tool]
    actor = await owned_actor(update, context, f"{tool}:with:")
    if actor is None:
        return
    await query.answer()
    face = next(item for item in entry.inputs if item.kind is InputKind.FACE)
    file = photo_input(actor.primary_photo, face.field, face.name)
    await begin(update, context, entry, {face.name: [file.model_dump()]})
