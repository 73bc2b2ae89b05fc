"""Measuring a video from its own bytes (PyAV): what a sender's client claims is not priced."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from bot.catalog.model import VIDEO_FPS, VIDEO_HEIGHT, VIDEO_WIDTH


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    seconds: float
    fps: float

    def measures(self, seconds_name: str) -> dict[str, float | None]:
        """As a flow keeps them: the length under the input's measure, the rest beside."""
        return {
            seconds_name: self.seconds,
            VIDEO_WIDTH: self.width,
            VIDEO_HEIGHT: self.height,
            VIDEO_FPS: self.fps,
        }


def measure(path: Path) -> VideoInfo | None:
    """The first video stream's size, length and frame rate; None if it is not a video."""
    try:
        with av.open(str(path), mode="r") as container:
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


def trim(source: Path, target: Path, seconds: float) -> None:
    """Copy the first `seconds` of a video into an MP4, its streams as they are (nothing is
    encoded again); raises av.FFmpegError when the source cannot be read."""
    with (
        av.open(str(source), mode="r") as video,
        av.open(str(target), mode="w", format="mp4") as cut,
    ):
        copies = {
            stream.index: cut.add_stream_from_template(stream)
            for stream in video.streams
            if stream.type in ("video", "audio")
        }
        for packet in video.demux(*(video.streams[index] for index in copies)):
            start = packet.pts if packet.pts is not None else packet.dts
            if start is None or packet.time_base is None or start * packet.time_base >= seconds:
                continue  # a flushing packet, or one past the cut
            packet.stream = copies[packet.stream.index]
            cut.mux(packet)
