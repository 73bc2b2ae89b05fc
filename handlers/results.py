"""Buttons under a delivered result, to use it next without sending it again.

The job engine asks `ResultButtons` for the card of each delivered job. Its buttons name the
job (`res:<job id>:<action>[:<output>]`): the job row keeps the inputs, options and each
output's provider asset id, so *Again* quotes the same job anew and the other buttons start
a tool with the output as its input, uploading nothing (a video to upscale is downloaded
once, to measure it for its price).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot import texts
from bot.catalog import CATALOG
from bot.catalog.model import Measures
from bot.context import BotContext
from bot.flow import RESULT_ACTIONS, ResultAction, prefill
from bot.jobs import ResultCard
from bot.pricing import partial_refund
from bot.tools import FileInput, JobSpec, OutputKind
from handlers.conversation import Handlers
from handlers.flow import begin
from handlers.keyboards import rows_of
from handlers.orders import offer
from handlers.parsing import integer
from providers.models import MediaKind
from storage.jobs import Job, JobOutput, JobState

PREFIX = "res:"
AGAIN = "again"
SAVE_AS_ACTOR = "actor"
FACE_RESULTS = frozenset({"facegen"})
"""Tools whose results are faces, which *Save as actor* keeps."""
OUTPUT_MEDIA = {
    OutputKind.PHOTO: MediaKind.IMAGE,
    OutputKind.DOCUMENT: MediaKind.IMAGE,
    OutputKind.VIDEO: MediaKind.VIDEO,
}
BUTTONS_PER_ROW = 3
WHICH_PER_ROW = 5


def _data(job: Job, action: str, *args: object) -> str:
    return ":".join([f"{PREFIX}{job.id}", action, *(str(arg) for arg in args)])


class ResultButtons:
    """The engine's ResultPresenter: a caption saying what was made, what it cost and the
    balance left, and the buttons that chain the result into the next tool."""

    def __init__(self, balance_of: Callable[[int], Awaitable[int]]) -> None:
        self._balance_of = balance_of

    async def present(self, job: Job) -> ResultCard | None:
        entry = CATALOG.get(job.tool)
        if entry is None:
            return None
        rows = [
            [InlineKeyboardButton(texts.RESULT_BUTTONS[AGAIN], callback_data=_data(job, AGAIN))]
        ]
        actions = _actions_for(entry.tool.output)
        reusable = bool(actions) and any(o.asset_id for o in job.outputs)
        if reusable:
            buttons = [
                InlineKeyboardButton(texts.RESULT_BUTTONS[a.key], callback_data=_data(job, a.key))
                for a in actions
            ]
            rows += rows_of(buttons, BUTTONS_PER_ROW)
            if job.tool in FACE_RESULTS:
                rows.append(
                    [
                        InlineKeyboardButton(
                            texts.RESULT_BUTTONS[SAVE_AS_ACTOR],
                            callback_data=_data(job, SAVE_AS_ACTOR),
                        )
                    ]
                )
        # A partial job's shortfall is refunded right after its delivery: the caption already
        # counts it, so the price and balance it shows stay true. A job charged its most (a
        # linked video) is settled once the provider reports its charge, which it cannot know
        # yet: the caption says so.
        spec = JobSpec.model_validate(job.spec)
        refund = 0
        if job.state is JobState.PARTIAL:
            expected = entry.tool.expected_outputs(spec.options)
            refund = partial_refund(job.price, len(job.outputs), expected)
        balance = await self._balance_of(job.user_id) + refund
        caption = texts.result_card(
            entry.tool.title,
            len(job.outputs),
            job.price - refund,
            balance,
            reusable,
            charged_at_most=spec.charged_at_most,
        )
        return ResultCard(caption, InlineKeyboardMarkup(rows))


def _actions_for(output: OutputKind | None) -> list[ResultAction]:
    """The tools a result of this kind chains into."""
    media = OUTPUT_MEDIA.get(output) if output is not None else None
    return [action for action in RESULT_ACTIONS if action.media is media]


async def owned_job(update: Update, context: BotContext) -> tuple[Job, str, int | None] | None:
    """The pressing user's job named by the button, its action and output number; None
    after saying the result is gone."""
    query = update.callback_query
    assert query and query.data
    job_id, _, rest = query.data.removeprefix(PREFIX).partition(":")
    action, _, text = rest.partition(":")
    number = integer(text) if text else None
    job = await context.services.jobs.get(job_id)
    forged = bool(text) and (number is None or number < 0)
    if job is None or job.user_id != context.user.id or forged:
        await query.answer(texts.RESULT_GONE, show_alert=True)
        return None
    return job, action, number


async def pick_output(
    update: Update, job: Job, action: str, number: int | None
) -> tuple[int, JobOutput] | None:
    """The output a button means: asked for when the job made several; None after saying
    it cannot be reused (no asset id is known for it: it expired for chaining)."""
    query = update.callback_query
    assert query and update.effective_chat
    if number is None and len(job.outputs) > 1:
        await query.answer()
        buttons = [
            InlineKeyboardButton(str(index + 1), callback_data=_data(job, action, index))
            for index, output in enumerate(job.outputs)
            if output.asset_id
        ]
        await update.effective_chat.send_message(
            texts.WHICH_RESULT,
            reply_markup=InlineKeyboardMarkup(rows_of(buttons, WHICH_PER_ROW)),
        )
        return None
    index = number or 0
    if index >= len(job.outputs) or not job.outputs[index].asset_id:
        await query.answer(expired(job), show_alert=True)
        return None
    return index, job.outputs[index]


def expired(job: Job) -> str:
    """What to say of a result that can't be used again: send it yourself, photo or video."""
    entry = CATALOG.get(job.tool)
    if entry is not None and entry.tool.output is OutputKind.VIDEO:
        return texts.VIDEO_RESULT_EXPIRED
    return texts.RESULT_EXPIRED


async def on_result(update: Update, context: BotContext) -> None:
    """Use a delivered result: quote the same job again, or start a tool with it."""
    query = update.callback_query
    assert query
    found = await owned_job(update, context)
    if found is None:
        return
    job, action, number = found
    entry = CATALOG.get(job.tool)
    if entry is None:
        await query.answer(texts.RESULT_GONE, show_alert=True)
        return
    if action == AGAIN:
        spec = JobSpec.model_validate(job.spec)
        multiplier = context.services.settings.credit_multiplier
        price = entry.price_of(spec.options, spec.measures, multiplier)
        if price is None:
            await query.answer(texts.RESULT_GONE, show_alert=True)
            return
        await query.answer()
        title = entry.tool.title
        # A linked video is charged its most again, and settled at the provider's charge.
        wording = texts.quote_at_most if spec.charged_at_most else texts.again_quote
        await offer(update, context, entry.tool, spec, price, lambda b: wording(title, price, b))
        return
    chained = next((a for a in _actions_for(entry.tool.output) if a.key == action), None)
    if chained is None:
        await query.answer(texts.RESULT_GONE, show_alert=True)
        return
    picked = await pick_output(update, job, action, number)
    if picked is None:
        return
    index, output = picked
    target = CATALOG[chained.tool]
    measures: Measures = {}
    measure = target.input(chained.input).measure
    if measure is not None:
        # Priced by the video itself: measure the result, which stays at the AI service.
        info = await context.services.studio.measure_video(output.url)
        if info is None:
            await query.answer(expired(job), show_alert=True)
            return
        measures = info.measures(measure)
    await query.answer()
    extension = "mp4" if chained.media is MediaKind.VIDEO else "png"
    file = FileInput(
        field=chained.input,
        asset_id=output.asset_id,
        kind=chained.media,
        filename=f"result-{index + 1}.{extension}",
    )
    await begin(update, context, target, prefill(target, chained.input, [file], None), measures)


def build_result_handlers() -> Handlers:
    """The result buttons that start something (Save as actor is the actor conversation's)."""
    return [
        CallbackQueryHandler(on_result, pattern=f"^{PREFIX}[0-9a-f]+:(?!{SAVE_AS_ACTOR}(:|$))")
    ]
