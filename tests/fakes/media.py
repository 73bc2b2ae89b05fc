"""Real video files for tests, and measuring a video the way the fake ZenCreator does (PyAV).

data = video_file(width=320, height=240, seconds=3, fps=30)  # a real H.264 MP4
probe_video(data)  # VideoInfo(width=320, height=240, seconds=3.0, fps=30.0)
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import av
from PIL import Image


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    seconds: float
    fps: float


@cache
def video_file(
    width: int = 128, height: int = 72, seconds: float = 1.0, fps: float = 24, color: str = "teal"
) -> bytes:
    """An H.264 MP4 of `seconds` of one colour (width and height even, as yuv420p needs)."""
    rate = Fraction(fps).limit_denominator(1001)
    frame = av.VideoFrame.from_image(Image.new("RGB", (width, height), color))
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for _ in range(round(seconds * rate)):
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


def probe_video(data: bytes) -> VideoInfo | None:
    """Width, height, duration and frame rate read from the file; None if it is no video."""
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            if stream.duration is not None and stream.time_base is not None:
                seconds = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                seconds = container.duration / av.time_base
            else:
                return None
            rate = stream.average_rate or stream.guessed_rate
            if not (stream.width and stream.height and rate and seconds > 0):
                return None
            return VideoInfo(stream.width, stream.height, seconds, float(rate))
    except av.FFmpegError:
        return None
