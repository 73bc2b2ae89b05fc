"""`python -m bot playground` as an operator runs it, and in a real browser.

The browser test drives Debian's headless Chromium with Selenium and uses the page as a person
would: types /start, picks /faceswap from the command menu, taps a button, sends two photos
and sees the mock provider's placeholder result. It leaves a screenshot behind: in a temporary
folder, or as the README's `docs/playground.png` when CASTBOT_REFRESH_SCREENSHOT=1.
"""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx
import pytest
from PIL import Image, ImageDraw
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from bot import texts
from tests.webpage import from_bot, live

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# This machine's closed network refuses Chromium's background connections: ask for none.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1100",
)
SCREENSHOT = ROOT / "docs" / "playground.png"
REFRESH_SCREENSHOT = "CASTBOT_REFRESH_SCREENSHOT"
WAIT_SECONDS = 60  # generous: the machine is shared; every wait ends as soon as its page state
URL = re.compile(r"open (http://127\.0\.0\.1:\d+/)")

# What the bot says along the way; the texts are the bot's, so a rewrite changes only these.
GREETING = "Hi Ann"
ASKS_FOR_FACE = "Step 1 of 2"
ASKS_FOR_TARGET = "Step 2 of 2"


class ProcessOutput:
    """Collects a process's output on a thread, so waiting for a line never blocks on it."""

    def __init__(self, stream: IO[str]) -> None:
        self._lines: list[str] = []
        self._ended = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._changed:
                self._lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        def found() -> re.Match[str] | None:
            return next(filter(None, map(pattern.search, self._lines)), None)

        with self._changed:
            self._changed.wait_for(lambda: found() is not None or self._ended, timeout)
            match = found()
        if match is None:
            raise AssertionError(f"no line matches {pattern.pattern!r}:\n{self.text()}")
        return match

    def text(self) -> str:
        self._thread.join(timeout=5)
        return "".join(self._lines)


def playground_environment() -> dict[str, str]:
    """No token, no provider key, no .env: what a newcomer has."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "ZENCREATOR_POLL_INTERVAL": "0.2",
    }


def playground_command(database: Path, port: int) -> list[str]:
    command = [sys.executable, "-m", "bot", "playground", "--port", str(port)]
    return command + ["--database", str(database)]


@contextmanager
def running_playground(folder: Path, database: Path) -> Iterator[tuple[str, ProcessOutput]]:
    """`python -m bot playground` on a free port until Ctrl+C, which must end it cleanly."""
    with subprocess.Popen(
        playground_command(database, 0),
        cwd=folder,
        env=playground_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        assert process.stdout is not None
        output = ProcessOutput(process.stdout)
        try:
            yield output.wait_for(URL, timeout=WAIT_SECONDS).group(1), output
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log = output.text()
    assert process.returncode == 0, log
    assert "Traceback" not in log, log


@pytest.fixture
def playground_url(tmp_path: Path) -> Iterator[str]:
    with running_playground(tmp_path, tmp_path / "playground.sqlite3") as (url, _):
        yield url


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.fail(
            f"The browser test needs Debian's Chromium and its driver ({', '.join(missing)}"
            " missing). Install them as root with `apt-get install -y chromium"
            " chromium-driver` (`bash .ci/run` does), or skip this test with -m 'not browser'.",
            pytrace=False,
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    # With the driver's path given, Selenium never looks for (or downloads) a driver itself.
    service = webdriver.ChromeService(
        executable_path=str(CHROMEDRIVER), log_output=str(tmp_path / "chromedriver.log")
    )
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


async def test_the_playground_runs_the_bot_on_the_mock_without_token_or_key(
    playground_url: str,
) -> None:
    async with httpx.AsyncClient(base_url=playground_url) as client:
        page = await client.get("/")
        assert "castbot playground" in page.text
        async with live(client) as events:
            hello = await events.wait_for("hello", timeout=WAIT_SECONDS)
            ann, bob, ada = hello["users"]
            assert [ann["first_name"], bob["first_name"], ada["first_name"]] == [
                "Ann",
                "Bob",
                "Ada",
            ]
            assert ada["admin"] and not ann["admin"] and not bob["admin"]
            await events.wait_for("ready", timeout=WAIT_SECONDS)
            await client.post(f"/api/chats/{ada['id']}/messages", json={"text": "/start"})
            welcome = await events.message(ada["id"], from_bot("Hi Ada"), timeout=WAIT_SECONDS)
            assert texts.MOCK_NOTICE in welcome["text"]
            await client.post(f"/api/chats/{ada['id']}/messages", json={"text": "/stats"})
            await events.message(ada["id"], from_bot("Users"), timeout=WAIT_SECONDS)


def test_an_earlier_database_is_emptied_at_start(tmp_path: Path) -> None:
    database = tmp_path / "playground.sqlite3"
    database.write_bytes(b"left over from an earlier run: not even SQLite")
    with running_playground(tmp_path, database) as (url, _):
        assert httpx.get(url).status_code == 200
    assert database.read_bytes().startswith(b"SQLite format 3")


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        completed = subprocess.run(
            playground_command(tmp_path / "playground.sqlite3", port),
            cwd=tmp_path,
            env=playground_environment(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert completed.returncode == 2
    assert completed.stderr.strip() == (
        f"castbot: port {port} is in use; choose another with --port"
    )


@pytest.mark.browser
def test_a_face_swap_from_the_browser(
    playground_url: str, browser: WebDriver, tmp_path: Path
) -> None:
    face, target = tmp_path / "face.jpg", tmp_path / "target.jpg"
    face.write_bytes(portrait((600, 800), background="lightsteelblue", skin="peachpuff"))
    target.write_bytes(portrait((800, 600), background="darkseagreen", skin="burlywood"))
    wait = waiting(browser)
    browser.get(playground_url)
    wait.until(lambda driver: driver.find_element(By.ID, "connection").text == "bot")

    browser.find_element(By.ID, "text").send_keys("/start", Keys.ENTER)
    wait_for_bot_text(browser, GREETING)

    wait.until(lambda driver: driver.find_element(By.ID, "menu-button").is_displayed())
    browser.find_element(By.ID, "menu-button").click()
    entry = wait.until(lambda driver: command_entry(driver, "/faceswap"))
    entry.click()

    terms = wait_for_bot_button(browser, texts.TERMS_AGREE_BUTTON)
    terms.click()
    wait_for_bot_text(browser, ASKS_FOR_FACE)
    send_photo(browser, face)
    wait_for_bot_text(browser, ASKS_FOR_TARGET)
    send_photo(browser, target)

    result = wait.until(lambda driver: loaded_bot_photo(driver))
    assert result.get_attribute("naturalWidth") != "0"
    sent = browser.find_elements(By.CSS_SELECTOR, ".msg.from-user .media.photo img")
    assert len(sent) == 2  # both photos show in the chat as the user's

    screenshot = SCREENSHOT if os.environ.get(REFRESH_SCREENSHOT) == "1" else tmp_path / "p.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.read_bytes().startswith(b"\x89PNG")


def portrait(size: tuple[int, int], *, background: str, skin: str) -> bytes:
    """A JPEG of a simple drawn face, so the screenshot shows what went where."""
    width, height = size
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    side = min(width, height) // 2
    left, top = (width - side) // 2, (height - side) // 2
    draw.ellipse((left, top, left + side, top + side * 5 // 4), fill=skin, outline="black")
    for eye_x in (left + side // 3, left + side * 2 // 3):
        draw.ellipse((eye_x - 12, top + side // 2 - 12, eye_x + 12, top + side // 2 + 12), "black")
    mouth_top = top + side * 3 // 4
    draw.arc(
        (left + side // 4, mouth_top, left + side * 3 // 4, mouth_top + side // 4),
        20,
        160,
        "black",
        width=6,
    )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    return buffer.getvalue()


def waiting(browser: WebDriver) -> WebDriverWait[WebDriver]:
    """Waits on the page; an element re-rendered (a message edited) is simply looked up again."""
    return WebDriverWait(
        browser, WAIT_SECONDS, ignored_exceptions=(StaleElementReferenceException,)
    )


def wait_for_bot_text(browser: WebDriver, fragment: str) -> WebElement:
    """The bot's message whose text contains fragment, once it shows."""

    def find(driver: WebDriver) -> WebElement | None:
        for message in driver.find_elements(By.CSS_SELECTOR, ".msg.from-bot"):
            if fragment in message.text:
                return message
        return None

    found: WebElement = waiting(browser).until(
        find, f"no message from the bot contains {fragment!r}"
    )
    return found


def wait_for_bot_button(browser: WebDriver, label: str) -> WebElement:
    def find(driver: WebDriver) -> WebElement | None:
        buttons = driver.find_elements(By.CSS_SELECTOR, ".msg.from-bot .keyboard-button")
        return next((button for button in buttons if button.text == label), None)

    found: WebElement = waiting(browser).until(
        find, f"no button {label!r} under the bot's messages"
    )
    return found


def command_entry(browser: WebDriver, command: str) -> WebElement | None:
    entries = browser.find_elements(By.CSS_SELECTOR, "#commands .command-entry")
    return next((entry for entry in entries if entry.text.startswith(command)), None)


def send_photo(browser: WebDriver, path: Path) -> None:
    """Attach a file as a photo (a file input takes a path even while its menu is closed)."""
    photo_input = browser.find_element(By.CSS_SELECTOR, 'input[type=file][data-send-as="photo"]')
    photo_input.send_keys(str(path))


def loaded_bot_photo(browser: WebDriver) -> WebElement | None:
    for image in browser.find_elements(By.CSS_SELECTOR, ".msg.from-bot .media.photo img"):
        if browser.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth", image
        ):
            return image
    return None
