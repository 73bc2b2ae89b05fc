"""The video studio end to end: /animate, /motion, /upscalevideo and /merge through the
emulator and the fake ZenCreator, with real videos made in the test (PyAV); the video menu,
the link menu, results that chain, big files in and out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot import texts
from bot.playground.emulator import MB, BotApiEmulator, EmulatedUser, SentMessage, make_jpeg
from tests.conftest import RunningBot
from tests.fakes.media import video_file
from tests.fakes.zencreator import FakeZenCreator
from tests.flows import accept_terms, next_media

PHOTO = make_jpeg(color="green")
LAST = make_jpeg(color="purple")
FACE = make_jpeg(color="red")


def labels(message: SentMessage) -> list[str]:
    return [label for label, _ in message.buttons()]


def upload_of(zencreator: FakeZenCreator, asset_id: str) -> bytes:
    return next(upload.data for upload in zencreator.uploads if upload.asset_id == asset_id)


async def open_list(
    user: EmulatedUser, telegram: BotApiEmulator, message: SentMessage, option: str
) -> list[str]:
    await user.press(message, f"{option}:")
    await telegram.wait_until(lambda: texts.BACK_BUTTON in labels(message))
    return labels(message)


async def pick(
    user: EmulatedUser, telegram: BotApiEmulator, message: SentMessage, choice: str
) -> None:
    """Press the choice of an open list whose label is `choice` with its price."""
    (label,) = [x for x in labels(message) if x.removeprefix("✓ ").startswith(f"{choice} ·")]
    await user.press(message, label)
    await telegram.wait_until(lambda: texts.BACK_BUTTON not in labels(message))


async def send_video(
    user: EmulatedUser, content: bytes, seconds: int = 1, file_size: int | None = None
) -> None:
    """A video as Telegram's apps send it; what it claims is not what the bot prices."""
    await user.send_video(content, duration=seconds, width=64, height=64, file_size=file_size)


async def test_animate_charges_the_table_and_sends_the_reference_fields(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(welcome_credits=100)
    ann = telegram.user(101)
    await ann.send_text("/animate")
    await accept_terms(ann)
    intro = await ann.wait_for_text("Step 1 of 2")
    assert "Animation costs 4 credits" in (intro.text or "")
    await ann.send_photo(PHOTO)
    question = await ann.wait_for_text("Step 2 of 2: optionally, describe the motion")
    assert "Price: 4 credits" in (question.text or "")
    assert "Model: Seedance Pro Fast ▸" in labels(question)
    assert "✓ 720p · 4 credits" in labels(question) and "1080p · 7 credits" in labels(question)
    lengths = await open_list(ann, telegram, question, "Length")
    assert "10 s · 8 credits" in lengths
    await pick(ann, telegram, question, "10 s")
    await ann.press(question, "1080p")
    await telegram.wait_until(lambda: "Price: 13 credits" in (question.text or ""))
    await ann.send_text("she turns and smiles")
    generation = await zencreator.wait_for_generation()
    assert generation.tool == "videogen"
    assert upload_of(zencreator, generation.input["ref_asset"]) == PHOTO
    assert generation.input["model"] == "seedance_pro_fast"
    assert (generation.input["duration"], generation.input["resolution"]) == (10, "1080p")
    assert generation.input["prompt"] == "she turns and smiles"
    assert generation.input["last_frame"] is None and generation.input["audio_asset"] is None
    assert generation.charge == 13
    await next_media(ann, "sendVideo")
    await bot.services.engine.wait_idle()
    assert await bot.services.ledger.balance(101) == 100 - 13


async def test_animate_offers_only_what_each_model_can_make(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(welcome_credits=100)
    ann = telegram.user(101)
    await ann.send_text("/animate")
    await accept_terms(ann)
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_photo(PHOTO)
    question = await ann.wait_for_text("Step 2 of 2")
    models = await open_list(ann, telegram, question, "Model")
    assert not any("18+" in label for label in models)
    assert "WAN 2.6 · 10 credits" in models and "Grok 4.1 · 15 credits" in models
    await pick(ann, telegram, question, "WAN 2.6")
    # WAN 2.6 makes no 480p, and takes audio to follow: asked before the prompt.
    audio = await ann.wait_for_text("Step 2 of 3: optionally, send audio")
    assert not any("480p" in label for label in labels(audio))
    await ann.press(audio, texts.SKIP_BUTTON)
    prompt = await ann.wait_for_text("Step 3 of 3")
    assert [label for label in labels(prompt) if "p ·" in label] == [
        "✓ 720p · 10 credits",
        "1080p · 15 credits",
    ]
    await open_list(ann, telegram, prompt, "Model")
    await pick(ann, telegram, prompt, "Grok 4.1")
    await telegram.wait_until(lambda: "Model: Grok 4.1 ▸" in labels(prompt))
    assert [label for label in labels(prompt) if "p ·" in label] == [
        "480p · 10 credits",
        "✓ 720p · 15 credits",
    ]
    await ann.press(prompt, texts.SKIP_BUTTON)
    grok = await zencreator.wait_for_generation()
    assert (grok.input["model"], grok.input["resolution"], grok.input["prompt"]) == (
        "grok@4.1",
        "720p",
        "",
    )

    # Kling 2.1 takes a last frame; WAN 2.6 an audio track to follow.
    await ann.send_text("/animate")
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_photo(PHOTO)
    question = await ann.wait_for_text("Step 2 of 2")
    await open_list(ann, telegram, question, "Model")
    await pick(ann, telegram, question, "Kling 2.1")
    last = await ann.wait_for_text("Step 2 of 3: optionally, send the last frame")
    await ann.send_photo(LAST)
    await ann.wait_for_text("Step 3 of 3")
    await ann.send_text("a slow zoom")
    kling = await zencreator.wait_for_generation(2)
    assert kling.input["model"] == "kling@2.1"
    assert upload_of(zencreator, kling.input["last_frame"]) == LAST
    assert kling.charge == 7
    assert "last_frame" not in str(last.reply_markup)
    # Its result is delivered before the next flow, whose replies are read one by one.
    await bot.services.engine.wait_idle()

    await ann.send_text("/animate")
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_photo(PHOTO)
    question = await ann.wait_for_text("Step 2 of 2")
    await open_list(ann, telegram, question, "Model")
    await pick(ann, telegram, question, "WAN 2.6 Flash")
    await ann.wait_for_text("Step 2 of 3: optionally, send audio")
    await ann.send_photo(PHOTO)
    assert (await ann.next_message()).text == texts.AUDIO_TRACK_EXPECTED
    await ann.send_voice(duration=3)
    prompt = await ann.wait_for_text("Step 3 of 3")
    assert "✓ With sound · 5 credits" in labels(prompt) and "Silent · 3 credits" in labels(prompt)
    await ann.press(prompt, "Silent")
    await telegram.wait_until(lambda: "Price: 3 credits" in (prompt.text or ""))
    await ann.send_text("dance")
    flash = await zencreator.wait_for_generation(3)
    assert flash.input["model"] == "wan@2.6-flash" and flash.input["generate_audio"] is False
    assert zencreator.assets[flash.input["audio_asset"]].media_type == "audio"
    await bot.services.engine.wait_idle()
    assert await bot.services.ledger.balance(101) == 100 - 15 - 7 - 3


async def test_animate_styles_need_the_18_plus_model_and_never_undress(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    await start_bot(allow_nsfw=True, welcome_credits=50)
    ann = telegram.user(101)
    await ann.send_text("/animate")
    await accept_terms(ann)
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_photo(PHOTO)
    question = await ann.wait_for_text("Step 2 of 2")
    await ann.press(question, texts.ADULT_MODELS_BUTTON)
    await telegram.wait_until(lambda: texts.ADULT_CONFIRM_BUTTON in labels(question))
    await ann.press(question, texts.ADULT_CONFIRM_BUTTON)
    await telegram.wait_until(lambda: texts.ADULT_CONFIRM_BUTTON not in labels(question))
    models = await open_list(ann, telegram, question, "Model")
    assert "WAN 2.7 18+ · 13 credits" in models
    await pick(ann, telegram, question, "WAN 2.2 styles 18+")
    await telegram.wait_until(lambda: "Style: Blink: hair flip ▸" in labels(question))
    styles = await open_list(ann, telegram, question, "Style")
    assert [label.removeprefix("✓ ") for label in styles[1:-1]] == [
        "Blink: hair flip · 10 credits",
        "Blink: wave hello · 10 credits",
    ]
    await pick(ann, telegram, question, "Blink: wave hello")
    await ann.press(question, texts.SKIP_BUTTON)
    generation = await zencreator.wait_for_generation()
    assert generation.input["model"] == "wan@2.2-lora"
    assert generation.input["loras"] == {"lora_blink_wave": 1.0}
    assert [r.query for r in zencreator.requests if r.path.endswith("/loras")][0] == {
        "model": "wan@2.2"
    }


async def reach_source_step(user: EmulatedUser, terms: bool = True) -> None:
    await user.send_text("/motion")
    if terms:
        await accept_terms(user)
    intro = await user.wait_for_text("Step 1 of 2: send a photo of your character")
    assert texts.PRICE_AFTER_VIDEO in (intro.text or "")
    await user.send_photo(FACE)
    await user.wait_for_text("Step 2 of 2: now send the video")


async def test_motion_is_priced_by_the_length_measured_from_the_video(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(welcome_credits=100)
    ann = telegram.user(101)
    await reach_source_step(ann)
    seven_seconds = video_file(64, 64, seconds=7, fps=4)
    await send_video(ann, seven_seconds, seconds=1)  # the app claims 1 s
    quote = await ann.wait_for_text("Start?")
    # 720p: flat 13 credits up to 5 s, then 2.8 a second: 18.6, rounded up.
    assert quote.text == texts.quote("Motion transfer", 19, 100, {"video_seconds": 7.0})
    assert "480p · 10 credits" in labels(quote) and "1080p · 20 credits" in labels(quote)
    assert labels(quote)[:4] == [
        "✓ Replace the person · 19 credits",
        "Animate your photo · 19 credits",
        "Kling 2.6 · 14 credits",
        "DreamActor M2 · 7 credits",
    ]
    await ann.press(quote, texts.start_button(19))
    generation = await zencreator.wait_for_generation()
    assert generation.tool == "video2video"
    assert upload_of(zencreator, generation.input["video_asset"]) == seven_seconds
    assert upload_of(zencreator, generation.input["image_asset"]) == FACE
    assert (generation.input["mode"], generation.input["resolution"]) == ("replace_sfw", "720p")
    assert generation.input["instagram_url"] is None
    assert generation.charge == 18.6
    await next_media(ann, "sendVideo")
    await bot.services.engine.wait_idle()
    assert await bot.services.ledger.balance(101) == 100 - 19
    # The status message says what the job waits for: the upload, then the AI service.
    (status,) = [m for m in ann.messages() if m.text == texts.job_done("Motion transfer", 0)]
    assert status.params["text"] == texts.video_sending("Motion transfer")
    assert texts.video_processing("Motion transfer", timedelta(0)) in status.edits
    calls = [(method, params.get("action")) for method, params in telegram.requests]
    assert calls.index(("sendChatAction", "upload_video")) < calls.index(("sendVideo", None))


async def test_the_rest_of_an_album_whose_first_video_was_quoted_leaves_the_quote(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    await start_bot(welcome_credits=100)
    ann = telegram.user(101)
    await reach_source_step(ann)
    one, two = video_file(64, 64, 1, 24, color="red"), video_file(64, 64, 1, 24, color="blue")
    await ann.send_video(one, duration=1, width=64, height=64, media_group_id="moves")
    await ann.send_video(two, duration=1, width=64, height=64, media_group_id="moves")
    quote = await ann.wait_for_text("Start?")
    await ann.send_text("/balance")  # handled after both videos
    await ann.wait_for_text("Your balance")
    assert not any(m.text == texts.VIDEO_MENU for m in ann.messages())
    await ann.press(quote, texts.start_button(13))
    generation = await zencreator.wait_for_generation()
    assert upload_of(zencreator, generation.input["video_asset"]) == one


async def test_a_source_over_30_s_is_not_offered_to_the_capped_modes(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    await start_bot(welcome_credits=200)
    ann = telegram.user(101)
    await reach_source_step(ann)
    await send_video(ann, video_file(64, 64, seconds=45, fps=2), seconds=20)
    quote = await ann.wait_for_text("Start?")
    # 480p would be 7 + 1.4 x 40 = 63; 720p 13 + 2.8 x 40 = 125.
    assert quote.text == texts.quote_leaving_out(
        "Motion transfer", 125, 200, 45, ["Kling 2.6", "DreamActor M2"], 30
    )
    assert labels(quote)[:2] == [
        "✓ Replace the person · 125 credits",
        "Animate your photo · 125 credits",
    ]
    assert not any("Kling" in label or "DreamActor" in label for label in labels(quote))
    await ann.press(quote, "Animate your photo")
    await telegram.wait_until(lambda: "✓ Animate your photo · 125 credits" in labels(quote))
    await ann.press(quote, "480p")
    await telegram.wait_until(lambda: texts.start_button(63) in labels(quote))
    await ann.press(quote, texts.start_button(63))
    generation = await zencreator.wait_for_generation()
    assert (generation.input["mode"], generation.charge) == ("animate_sfw", 63)


async def test_a_link_is_charged_its_most_and_settled_at_the_real_charge(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(welcome_credits=100)
    ann = telegram.user(101)
    await reach_source_step(ann)
    await ann.send_text("https://www.youtube.com/watch?v=abc")
    assert (await ann.next_message()).text == texts.LINK_REFUSED
    reel = "https://www.instagram.com/reel/C3xYz1ab/"
    await ann.send_text(reel)
    quote = await ann.wait_for_text("Start?")
    assert quote.text == texts.quote_at_most("Motion transfer", 60, 100)
    assert labels(quote)[:2] == ["✓ Kling 2.6 · 60 credits", "DreamActor M2 · 30 credits"]
    await ann.press(quote, "DreamActor M2")
    await telegram.wait_until(lambda: texts.start_button(30) in labels(quote))
    assert quote.text == texts.quote_at_most("Motion transfer", 30, 100)
    await ann.press(quote, texts.start_button(30))
    generation = await zencreator.wait_for_generation()
    assert generation.input["instagram_url"] == reel and generation.input["video_asset"] is None
    assert generation.input["mode"] == "dreamactor_m2"
    assert generation.charge == 10  # the fake's linked videos are 10 s long
    video = await next_media(ann, "sendVideo")
    # Delivered before the provider's charge is read: the caption does not pass the most
    # charged off as the price.
    assert video.caption == texts.result_card(
        "Motion transfer", 1, 30, 70, reusable=True, charged_at_most=True
    )
    assert "Price: 30 credits." not in (video.caption or "")
    await bot.services.engine.wait_idle()
    assert await bot.services.ledger.balance(101) == 100 - 30 + 20
    (job,) = [job for job in await bot.services.jobs.recent(101) if job.state == "delivered"]
    assert (job.price, job.refunded) == (30, 20)
    status = next(
        m for m in ann.messages() if texts.job_done_overcharged("Motion transfer", 20) == m.text
    )
    assert status.edits

    # A video as long as the most costs the most: nothing comes back.
    tiktok = "https://www.tiktok.com/@someone/video/7312345678901234567"
    zencreator.set_link_duration(tiktok, 45)
    await ann.send_text("/motion")
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_photo(FACE)
    await ann.wait_for_text("Step 2 of 2")
    await ann.send_text(tiktok)
    quote = await ann.wait_for_text("Start?")
    assert quote.text == texts.quote_at_most("Motion transfer", 60, 90)
    await ann.press(quote, texts.start_button(60))
    second = await zencreator.wait_for_generation(2)
    assert second.input["tiktok_url"] == tiktok and second.charge == 60
    await bot.services.engine.wait_idle()
    assert await bot.services.ledger.balance(101) == 30


async def test_a_blocked_user_is_settled_without_downloading_the_result_again(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    """The provider's credit history answering 503 at first is waited out where it is read,
    not by trying the delivery again: for a user who blocked the bot, each try downloaded
    the video anew."""
    bot: RunningBot = await start_bot(welcome_credits=100)
    ann = telegram.user(101)
    await reach_source_step(ann)
    await ann.send_text("https://www.instagram.com/reel/C3xYz1ab/")
    quote = await ann.wait_for_text("Start?")
    await ann.press(quote, "DreamActor M2")
    await telegram.wait_until(lambda: texts.start_button(30) in labels(quote))
    # Each read of the history is tried 4 times by the client: two reads fail.
    zencreator.fail_next("GET /transactions", 503, times=8)
    download = zencreator.hold("GET /downloads/*")
    await ann.press(quote, texts.start_button(30))
    await download.wait_reached()
    telegram.block_bot(101)
    download.release()
    await zencreator.wait_until(lambda: len(zencreator.requests_for("GET /transactions")) > 8)
    await bot.services.engine.wait_idle()
    (job,) = [job for job in await bot.services.jobs.recent(101) if job.state == "delivered"]
    assert (job.price, job.refunded) == (30, 20)
    assert len(zencreator.requests_for("GET /downloads/*")) == 1


async def test_a_source_over_20_mb_is_refused_before_anything(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await reach_source_step(ann)
    await send_video(ann, video_file(), file_size=25 * MB)
    refusal = await ann.next_message()
    assert refusal.text == texts.video_too_large(20 * MB, local_mode=False)
    assert "20 MB" in (refusal.text or "")
    await send_video(ann, video_file(), file_size=25 * MB)  # outside a flow: the same
    assert (await ann.next_message()).text == texts.video_too_large(20 * MB, local_mode=False)
    assert zencreator.uploads == [] and zencreator.starts == []
    assert await bot.services.ledger.balance(101) == 10


async def test_upscale_video_offers_the_factors_within_5k_each_with_its_price(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(welcome_credits=100)
    ann = telegram.user(101)
    await ann.send_text("/upscalevideo")
    intro = await ann.wait_for_text("Step 1 of 1: send the video")
    assert texts.PRICE_AFTER_VIDEO in (intro.text or "")
    assert intro.reply_markup is None  # the factors come with their prices, on the quote
    clip = video_file(640, 360, seconds=3, fps=30)
    await ann.send_video(clip, duration=9, width=1920, height=1080)  # claims are not priced
    quote = await ann.wait_for_text("Start?")
    # x2: 1280x720 = 0.9216 MP x 3 s x 2 credits = 5.53: 6 credits.
    assert quote.text == texts.quote("Video upscale", 6, 100, {"video_seconds": 3.0})
    factors = await open_list(ann, telegram, quote, "Scale")
    assert [label.removeprefix("✓ ") for label in factors if "credit" in label][:-1] == [
        "×2 · 6 credits",
        "×3 · 13 credits",
        "×4 · 23 credits",
        "×5 · 35 credits",
        "×6 · 50 credits",
        "×7 · 68 credits",
        "×8 · 89 credits",
        "Largest (5120 px) · 89 credits",
    ]
    await pick(ann, telegram, quote, "×4")
    await ann.press(quote, texts.start_button(23))
    generation = await zencreator.wait_for_generation()
    assert generation.tool == "video_upscaler"
    assert upload_of(zencreator, generation.input["video_asset"]) == clip
    assert generation.input["scale_factor"] == "4"
    assert generation.charge == 22.12  # 2 x 3.6864 MP x 3 s
    await next_media(ann, "sendVideo")
    await bot.services.engine.wait_idle()
    assert await bot.services.ledger.balance(101) == 100 - 23


async def test_merge_joins_videos_sent_and_earlier_results_in_the_order_given(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(welcome_credits=100)
    ann = telegram.user(101)
    # An earlier video result to pick.
    await ann.send_text("/animate")
    await accept_terms(ann)
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_photo(PHOTO)
    question = await ann.wait_for_text("Step 2 of 2")
    await ann.press(question, texts.SKIP_BUTTON)
    await next_media(ann, "sendVideo")
    await bot.services.engine.wait_idle()
    animation = next(iter(zencreator.generations.values()))
    result_asset = animation.outputs[0].id

    await ann.send_text("/merge")
    first = await ann.wait_for_text("Step 1 of 1: send the videos to join")
    (picks,) = [label for label in labels(first) if label.startswith("🎞 1. Animation")]
    assert not any("Done" in label for label in labels(first))
    assert "Price: 1 credit" in (first.text or "")
    one, two = video_file(64, 64, 1, 24, color="red"), video_file(64, 64, 1, 24, color="blue")
    await send_video(ann, one)
    second = await ann.wait_for_text("1 of 2 to 5 so far")
    assert labels(first) == []  # a new question takes the buttons over
    await ann.press(second, picks)
    third = await ann.wait_for_text("2 of at most 5 so far")
    await send_video(ann, two)
    fourth = await ann.wait_for_text("3 of at most 5 so far")
    await ann.press(fourth, "Fade")
    await telegram.wait_until(lambda: "✓ Fade · 1 credit" in labels(fourth))
    await ann.press(fourth, texts.clips_done_button(3, 1))
    generation = await zencreator.wait_for_generation(2)
    assert generation.tool == "video_merger"
    clips = generation.input["clips"]
    assert [upload_of(zencreator, clips[0]["asset_id"]), clips[1]["asset_id"]] == [
        one,
        result_asset,
    ]
    assert upload_of(zencreator, clips[2]["asset_id"]) == two
    assert generation.input["transition"] == "fade" and generation.input["keep_audio"] is True
    assert generation.charge == 1
    assert labels(third) == [] and labels(fourth) == []
    await bot.services.engine.wait_idle()
    assert await bot.services.ledger.balance(101) == 100 - 4 - 1


async def test_the_video_menu_offers_each_tool_with_its_price(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(welcome_credits=100)
    ann = telegram.user(101)
    clip = video_file(64, 64, seconds=1, fps=24)
    await send_video(ann, clip, seconds=30)
    menu = await ann.wait_for_text(texts.VIDEO_MENU)
    assert labels(menu) == [
        "Motion transfer (use as source) · 13 credits",
        "Upscale video · 1 credit",
        "Merge · 1 credit",
    ]
    await ann.press(menu, "Upscale video")
    quote = await ann.wait_for_text("Start?")
    assert quote.text == texts.quote("Video upscale", 1, 100, {"video_seconds": 1.0})
    await ann.press(quote, texts.start_button(1))
    upscale = await zencreator.wait_for_generation()
    assert upload_of(zencreator, upscale.input["video_asset"]) == clip

    await send_video(ann, clip)
    menu = await ann.wait_for_text(texts.VIDEO_MENU)
    await ann.press(menu, "Motion transfer")
    await accept_terms(ann)
    question = await ann.wait_for_text("Step 1 of 2: send a photo of your character")
    assert "Motion transfer costs 13 credits" in (question.text or "")
    assert "Price: 13 credits" in (question.text or "")
    await ann.send_photo(FACE)
    motion = await zencreator.wait_for_generation(2)
    assert upload_of(zencreator, motion.input["video_asset"]) == clip
    assert upload_of(zencreator, motion.input["image_asset"]) == FACE

    await send_video(ann, clip)
    menu = await ann.wait_for_text(texts.VIDEO_MENU)
    await ann.press(menu, "Merge")
    merge = await ann.wait_for_text("1 of 2 to 5 so far")
    assert not any("Done" in label for label in labels(merge))
    await bot.services.engine.wait_idle()
    assert await bot.services.ledger.balance(101) == 100 - 1 - 13


async def test_a_link_outside_a_flow_offers_motion_transfer_at_its_most(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    await start_bot(welcome_credits=100)
    ann = telegram.user(101)
    reel = "https://www.instagram.com/reel/C3xYz1ab/"
    await ann.send_text(reel)
    menu = await ann.wait_for_text(texts.LINK_MENU)
    assert labels(menu) == ["Motion transfer (use as source) · at most 60 credits"]
    await ann.press(menu, "Motion transfer")
    await accept_terms(ann)
    question = await ann.wait_for_text("Step 1 of 2")
    assert texts.price_line_at_most(60) in (question.text or "")
    await ann.send_photo(FACE)
    quote = await ann.wait_for_text("Start?")
    assert quote.text == texts.quote_at_most("Motion transfer", 60, 100)
    await ann.press(quote, texts.start_button(60))
    generation = await zencreator.wait_for_generation()
    assert generation.input["instagram_url"] == reel
    await ann.send_text("https://example.com/not-a-reel")
    await ann.wait_for_text(texts.NOT_UNDERSTOOD)


async def test_video_results_chain_into_upscale_and_merge_with_no_upload(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(welcome_credits=100)
    ann = telegram.user(101)
    await ann.send_text("/animate")
    await accept_terms(ann)
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_photo(PHOTO)
    question = await ann.wait_for_text("Step 2 of 2")
    await ann.press(question, texts.SKIP_BUTTON)
    video = await next_media(ann, "sendVideo")
    assert video.caption == texts.result_card("Animation", 1, 4, 96, reusable=True)
    assert labels(video) == [
        texts.RESULT_BUTTONS["again"],
        texts.RESULT_BUTTONS["upscale_video"],
        texts.RESULT_BUTTONS["merge"],
    ]
    result = next(iter(zencreator.generations.values())).outputs[0].id
    uploads = len(zencreator.uploads)

    await ann.press(video, texts.RESULT_BUTTONS["upscale_video"])
    quote = await ann.wait_for_text("Start?")
    # The fake's result: 128x72, 1 s at 24 fps; x2 is 0.0369 MP: 1 credit.
    assert quote.text == texts.quote("Video upscale", 1, 96, {"video_seconds": 1.0})
    await ann.press(quote, texts.start_button(1))
    upscale = await zencreator.wait_for_generation(2)
    assert upscale.input["video_asset"] == result

    await ann.press(video, texts.RESULT_BUTTONS["merge"])
    merge = await ann.wait_for_text("1 of 2 to 5 so far")
    (pick_first,) = [label for label in labels(merge) if label.startswith("🎞 1.")]
    await ann.press(merge, pick_first)
    both = await ann.wait_for_text("2 of at most 5 so far")
    await ann.press(both, texts.clips_done_button(2, 1))
    merged = await zencreator.wait_for_generation(3)
    assert [clip["asset_id"] for clip in merged.input["clips"]][0] == result
    assert len(zencreator.uploads) == uploads

    await ann.press(video, texts.RESULT_BUTTONS["again"])
    again = await ann.wait_for_text("The same animation again")
    assert texts.start_button(4) in labels(again)
    await bot.services.engine.wait_idle()


async def test_picture_results_and_the_photo_menu_offer_animate(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    await start_bot(welcome_credits=100)
    ann = telegram.user(101)
    await ann.send_text("/imagine a red fox")
    quote = await ann.wait_for_text("Start?")
    await ann.press(quote, texts.start_button(1))
    card = await ann.wait_for_text(texts.result_card("Picture", 1, 1, 99, reusable=True))
    assert texts.RESULT_BUTTONS["animate"] in labels(card)
    assert texts.RESULT_BUTTONS["lipsync"] in labels(card)
    picture = next(iter(zencreator.generations.values())).outputs[0].id
    await ann.press(card, texts.RESULT_BUTTONS["animate"])
    await accept_terms(ann)
    prompt = await ann.wait_for_text("Step 2 of 2: optionally, describe the motion")
    await ann.send_text("the fox runs off")
    animation = await zencreator.wait_for_generation(2)
    assert animation.input["ref_asset"] == picture

    await ann.press(card, texts.RESULT_BUTTONS["lipsync"])
    await ann.wait_for_text("Step 2 of 2: now send the audio")
    await ann.send_voice(duration=2)
    lipsync_quote = await ann.wait_for_text("Start?")
    await ann.press(lipsync_quote, texts.start_button(6))
    lipsync = await zencreator.wait_for_generation(3)
    assert lipsync.input["image_asset"] == picture
    assert "Price: 4 credits" in (prompt.text or "")

    await ann.send_photo(PHOTO, caption="waves hello")
    menu = await ann.wait_for_text("What should I do with this photo?")
    await ann.press(menu, "Animate")
    start = await ann.wait_for_text("Start?")
    await ann.press(start, texts.start_button(4))
    from_menu = await zencreator.wait_for_generation(4)
    assert from_menu.input["prompt"] == "waves hello"
    assert upload_of(zencreator, from_menu.input["ref_asset"]) == PHOTO


async def test_the_photo_menu_prices_animate_as_its_flow_does_with_a_styles_model_default(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    """WAN 2.2 styles is offered only with a style to offer: the menu asks the provider's
    list, as the flow does, rather than price the model it would fall back to."""
    bot: RunningBot = await start_bot(allow_nsfw=True, welcome_credits=50)
    ann = telegram.user(101)
    await ann.send_text("/start")
    await ann.wait_for_text("Hi Ann")
    await bot.services.users.confirm_adult(101)
    await bot.services.user_settings.put(101, "video_model", "wan@2.2-lora")
    await ann.send_photo(PHOTO)
    menu = await ann.wait_for_text("What should I do with this photo?")
    assert "Animate · 10 credits" in labels(menu)
    await ann.press(menu, "Animate")
    await accept_terms(ann)
    question = await ann.wait_for_text("Step 2 of 2")
    assert "Price: 10 credits" in (question.text or "")


async def test_a_video_over_the_upload_limit_comes_as_its_link(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(welcome_credits=20)
    zencreator.plan("videogen", outputs=[bytes(50 * MB + 1)])
    ann = telegram.user(101)
    await ann.send_text("/animate")
    await accept_terms(ann)
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_photo(PHOTO)
    question = await ann.wait_for_text("Step 2 of 2")
    await ann.press(question, texts.SKIP_BUTTON)
    generation = await zencreator.wait_for_generation()
    await zencreator.wait_until(lambda: bool(generation.outputs))
    link = generation.outputs[0].url
    notice = await ann.wait_for_text(link, timeout=15)
    assert notice.text == texts.result_link("Animation", link)
    await bot.services.engine.wait_idle()
    (job,) = await bot.services.jobs.recent(101)
    assert (job.state, job.refunded) == ("delivered", 0)
    assert not any(m.method == "sendVideo" for m in ann.messages())
    assert await bot.services.ledger.balance(101) == 16


async def test_the_offline_mock_animates_and_chains_a_video(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(zencreator_api_key="", welcome_credits=50)
    ann = telegram.user(101)
    await ann.send_text("/animate")
    await accept_terms(ann)
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_photo(PHOTO)
    question = await ann.wait_for_text("Step 2 of 2")
    await ann.press(question, texts.SKIP_BUTTON)
    # The mock takes 3 s; the first job of a tool is polled at doubling intervals.
    await telegram.wait_until(
        lambda: any(m.method == "sendVideo" for m in ann.messages()), timeout=15
    )
    video = await next_media(ann, "sendVideo")
    await ann.press(video, texts.RESULT_BUTTONS["upscale_video"])
    quote = await ann.wait_for_text("Start?")
    # The mock's placeholder is a 2 s 320x320 clip: x2 is 0.4096 MP x 2 s x 2 credits, 1.64.
    assert quote.text == texts.quote("Video upscale", 2, 46, {"video_seconds": 2.0})
    (upscale, _) = await bot.services.jobs.recent(101, limit=2)
    assert (upscale.tool, upscale.state) == ("video_upscaler", "quoted")
    assert upscale.spec["files"][0]["asset_id"].startswith("mock-asset-out-")


async def test_settings_keep_video_defaults_that_animate_uses(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(welcome_credits=100)
    ann = telegram.user(101)
    await ann.send_text("/settings")
    settings = await ann.wait_for_text(texts.SETTINGS_INTRO)
    assert "Video model: Seedance Pro Fast ▸" in labels(settings)
    for setting, value in (
        ("Video model", "Kling 2.6"),
        ("Video length", "10 s"),
        ("Video resolution", "1080p"),
    ):
        await ann.press(settings, f"{setting}:")
        await telegram.wait_until(lambda: texts.BACK_BUTTON in labels(settings))
        assert not any("18+" in label for label in labels(settings))
        await ann.press(settings, value)
        await telegram.wait_until(lambda s=setting, v=value: f"{s}: {v} ▸" in labels(settings))
    await ann.send_text("/animate")
    await accept_terms(ann)
    intro = await ann.wait_for_text("Step 1 of 2")
    assert "Animation costs 20 credits" in (intro.text or "")
    await ann.send_photo(PHOTO)
    question = await ann.wait_for_text("Step 2 of 2")
    assert "Model: Kling 2.6 ▸" in labels(question) and "✓ 1080p · 20 credits" in labels(question)
    await ann.send_text("rain starts to fall")
    generation = await zencreator.wait_for_generation()
    assert (generation.input["model"], generation.input["duration"]) == ("kling@2.6", 10)
    assert (generation.input["resolution"], generation.input["generate_audio"]) == ("1080p", True)
    assert (await bot.services.user_settings.get(101))["video_duration"] == 10


async def test_a_long_source_is_cut_to_30_s_only_when_the_user_asks(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(welcome_credits=200)
    ann = telegram.user(101)
    await reach_source_step(ann)
    long_clip = video_file(64, 64, seconds=45, fps=2)
    await send_video(ann, long_clip)
    quote = await ann.wait_for_text("Start?")
    assert texts.trim_button(30) in labels(quote)
    await ann.press(quote, texts.trim_button(30))
    trimmed = await ann.wait_for_text(texts.trimmed_caption(30))
    assert trimmed.method == "sendVideo" and labels(quote) == []
    requote = await ann.wait_for_text("Start?")
    # 720p: 13 + 2.8 x 25 = 83; the per-second modes take 30 s now.
    assert requote.text == texts.quote("Motion transfer", 83, 200, {"video_seconds": 30.0})
    assert "DreamActor M2 · 30 credits" in labels(requote)
    assert texts.trim_button(30) not in labels(requote)
    await ann.press(requote, "DreamActor M2")
    await telegram.wait_until(lambda: texts.start_button(30) in labels(requote))
    await ann.press(requote, texts.start_button(30))
    generation = await zencreator.wait_for_generation()
    cut = upload_of(zencreator, generation.input["video_asset"])
    assert cut == telegram.file_content(trimmed.file_id or "") and cut != long_clip
    assert generation.charge == 30
    await bot.services.engine.wait_idle()
    assert await bot.services.ledger.balance(101) == 200 - 30
    # The quotes it replaced charged nothing; only the last one ran.
    states = [job.state for job in await bot.services.jobs.recent(101)]
    assert states.count("delivered") == 1 and set(states) == {"declined", "delivered"}


async def test_a_video_result_gone_from_the_ai_service_asks_for_the_video_itself(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(welcome_credits=100)
    ann = telegram.user(101)
    await ann.send_text("/animate")
    await accept_terms(ann)
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_photo(PHOTO)
    question = await ann.wait_for_text("Step 2 of 2")
    await ann.press(question, texts.SKIP_BUTTON)
    video = await next_media(ann, "sendVideo")
    await bot.services.engine.wait_idle()
    (job,) = await bot.services.jobs.recent(101)
    gone = job.outputs[0].model_copy(update={"url": f"{zencreator.base_url}/files/gone"})
    async with bot.services.db.transaction() as tx:
        await tx.execute(
            "UPDATE jobs SET outputs = ? WHERE id = ?", (f"[{gone.model_dump_json()}]", job.id)
        )
    answered = len(ann.callback_answers())
    await ann.press(video, texts.RESULT_BUTTONS["upscale_video"])
    await telegram.wait_until(lambda: len(ann.callback_answers()) == answered + 1)
    assert ann.callback_answers()[-1]["text"] == texts.VIDEO_RESULT_EXPIRED
    assert await bot.services.ledger.balance(101) == 96
