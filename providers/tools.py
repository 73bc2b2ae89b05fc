"""Input models of ZenCreator's tools, as the public API reference lists their fields.

One model per tool the bot may start (`undress` has none: it is never offered). Fields, enums
and defaults are the reference's; every model forbids unknown fields, so a catalog entry that
sends a field the tool does not take fails before anything is charged. Asset fields hold
provider asset ids (`POST /assets`, or an earlier result's output).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ToolInput(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Ratio(StrEnum):
    SQUARE = "1:1"
    WIDE = "16:9"
    ULTRAWIDE = "21:9"
    PORTRAIT_2_3 = "2:3"
    LANDSCAPE_3_2 = "3:2"
    PORTRAIT_3_4 = "3:4"
    LANDSCAPE_4_3 = "4:3"
    TALL = "9:16"


class Mode(StrEnum):
    FAST = "fast"
    QUALITY = "quality"


# --- upscaler


class UpscalerVersion(StrEnum):
    BASIC = "basic"
    BASIC_SAFE_FACE = "basic_safe_face"
    NATURAL_CLARITY = "natural_clarity"
    PREMIUM_REALISM = "premium_realism"
    PREMIUM_SAFE_FACE = "premium_safe_face"
    ULTRA_CLARITY = "ultra_clarity"


class UpscalerInput(ToolInput):
    image_asset: str
    version: UpscalerVersion = UpscalerVersion.BASIC
    megapixels: Literal[4, 8, 16, 24, 32] = 4
    creativity: Literal[0, 1, 2, 3, 4, 5] = 3


# --- faceswap


class FaceswapModel(StrEnum):
    SDXL = "SDXL"
    GENERAL = "GENERAL"
    GENERAL_ADVANCED = "GENERAL_ADVANCED"
    FULL_HEAD = "FULL_HEAD"


class FaceswapResolution(StrEnum):
    R2K = "2K"
    R4K = "4K"


class FaceswapInput(ToolInput):
    """`face_asset` is put onto the person in `ref_asset`."""

    ref_asset: str
    face_asset: str
    model: FaceswapModel = FaceswapModel.SDXL
    resolution: FaceswapResolution = FaceswapResolution.R4K


# --- by_prompt


class PromptModel(StrEnum):
    FLUX_KLEIN_NSFW = "FLUX_KLEIN_NSFW"
    GENERAL_NSFW = "GENERAL_NSFW"
    GENERAL_SFW = "GENERAL_SFW"
    NANO_BANANA = "NANO_BANANA"
    QWEN_IMAGE = "QWEN_IMAGE"
    QWEN_IMAGE_PRO = "QWEN_IMAGE_PRO"
    SDXL_NSFW = "SDXL_NSFW"
    SEEDREAM_5 = "SEEDREAM_5"
    WAN = "WAN"
    WAN_2_7_IMAGE = "WAN_2_7_IMAGE"
    WAN_2_7_IMAGE_PRO = "WAN_2_7_IMAGE_PRO"


class ByPromptInput(ToolInput):
    positive_prompt: str
    negative_prompt: str = ""
    loras: dict[str, float] | None = None
    batch_size: int = 1
    model: PromptModel = PromptModel.GENERAL_NSFW
    ratio: Ratio = Ratio.SQUARE
    mode: Mode = Mode.FAST
    width: int | None = None
    height: int | None = None


# --- by_ref


class ByRefModel(StrEnum):
    GENERAL = "GENERAL"
    SDXL = "SDXL"


class ByRefInput(ToolInput):
    ref_asset: str
    face_asset: str | None = None
    model: ByRefModel = ByRefModel.SDXL
    mode: Mode = Mode.FAST
    positive_prompt: str = ""
    negative_prompt: str = ""
    batch_size: int = 4
    strength: float = 1.0
    keep_pose: bool = False
    swap_background: bool = False
    loras: dict[str, float] | None = None


# --- photoshoot


class PhotoshootInput(ToolInput):
    face_ref: str
    body_ref: str
    prompt: str = ""
    category_id: str | None = None
    image_count: int = 1
    ratio: Ratio = Ratio.SQUARE
    width: int = 1024
    height: int = 1024
    number_of_images: int = 1


# --- facegen


class Gender(StrEnum):
    FEMALE = "Female"
    MALE = "Male"


class Age(StrEnum):
    A18_25 = "18-25"
    A26_35 = "26-35"
    A36_45 = "36-45"
    A46_55 = "46-55"
    A56_65 = "56-65"
    A66_75 = "66-75"
    A75_85 = "75-85"
    A85_PLUS = "85+"


class Origin(StrEnum):
    CENTRAL_AMERICAN = "Central American"
    CENTRAL_ASIAN = "Central Asian"
    EAST_ASIAN = "East Asian"
    EUROPEAN = "European"
    MIDDLE_EASTERN = "Middle Eastern"
    NORTH_AFRICAN = "North African"
    NORTH_AMERICAN = "North American"
    OCEANIAN = "Oceanian / Pacific Islander"
    SOUTH_AMERICAN = "South American"
    SOUTH_ASIAN = "South Asian"
    SOUTHEAST_ASIAN = "Southeast Asian"


class BodyType(StrEnum):
    CHUBBY = "Chubby"
    CURVY = "Curvy"
    FIT = "Fit"
    MUSCULAR = "Muscular"
    NORMAL = "Normal"
    SLIM = "Slim"


class EyeColor(StrEnum):
    ALBINO = "Albino"
    AMBER = "Amber"
    BLUE = "Blue"
    BROWN = "Brown"
    GRAY = "Gray"
    GREEN = "Green"
    HAZEL = "Hazel"
    HETEROCHROMIA = "Heterochromia"
    RED = "Red"
    VIOLET = "Violet"


class HairColor(StrEnum):
    """Also the beard colours."""

    BLACK = "Black"
    BLONDE = "Blonde"
    BLUE = "Blue"
    BRUNETTE = "Brunette"
    GRAY = "Gray"
    GREEN = "Green"
    HONEY = "Honey"
    OMBRE = "Ombre"
    PINK = "Pink"
    PLATINUM = "Platinum"
    RED = "Red"
    SALT_AND_PEPPER = "Salt and Pepper"
    VIOLET = "Violet"


class HairType(StrEnum):
    BALD = "Bald"
    COILY = "Coily"
    CURLY = "Curly"
    FRIZZY = "Frizzy"
    SILKY = "Silky"
    STRAIGHT = "Straight"
    THICK = "Thick"
    THIN = "Thin"
    WAVY = "Wavy"


class HairStyle(StrEnum):
    AFRO = "Afro"
    BOB = "Bob"
    BOWL = "Bowl"
    BRAIDS = "Braids"
    BUN = "Bun"
    BUZZCUT = "Buzzcut"
    CAESAR = "Caesar"
    MOHAWK = "Mohawk"
    PIGTAILS = "Pigtails"
    PIXIE = "Pixie"
    PONYTAIL = "Ponytail"
    SHAG = "Shag"
    UNDERCUT = "Undercut"
    UPDO = "Updo"


class Beard(StrEnum):
    ANCHOR = "Anchor Beard"
    BALBO = "Balbo Beard"
    CHEVRON = "Chevron Mustache"
    CHINSTRAP = "Chinstrap Beard"
    CIRCLE = "Circle Beard"
    CORPORATE = "Corporate Beard"
    DUCKTAIL = "Ducktail Beard"
    FRIENDLY_MUTTON_CHOPS = "Friendly Mutton Chops"
    FULL = "Full Beard"
    GARIBALDI = "Garibaldi Beard"
    GOATEE = "Goatee"
    HANDLEBAR = "Handlebar Mustache"
    HORSESHOE = "Horseshoe Mustache"
    IMPERIAL = "Imperial Mustache"
    MUTTON_CHOPS = "Mutton Chops"
    PENCIL = "Pencil Mustache"
    SOUL_PATCH = "Soul Patch"
    STUBBLE = "Stubble Beard"
    VAN_DYKE = "Van Dyke Beard"
    ZAPPA = "Zappa Mustache"


class Makeup(StrEnum):
    ANIME = "Anime Makeup"
    ARTISTIC = "Artistic Makeup"
    AVANT_GARDE = "Avant-garde Makeup"
    BOHEMIAN = "Bohemian Makeup"
    BOHO = "Boho Makeup"
    CLASSIC = "Classic Makeup"
    CUT_CREASE = "Cut Crease Makeup"
    DEWY = "Dewy Makeup"
    EDGY = "Edgy Makeup"
    FESTIVAL = "Festival Makeup"
    GLAM = "Glam Makeup"
    GLOWY = "Glowy Makeup"
    GOLDEN = "Golden Makeup"
    MONOCHROMATIC = "Monochromatic Makeup"
    NATURAL = "Natural Makeup"
    PARTY = "Party Makeup"
    RETRO = "Retro Makeup"
    SUNSET_EYE = "Sunset Eye Makeup"
    VINTAGE = "Vintage Makeup"
    WATERCOLOR = "Watercolor Makeup"


class FacegenInput(ToolInput):
    gender: Gender
    age: Age
    origin: Origin
    body_type: BodyType | None = None
    eye_color: EyeColor | None = None
    hair_color: HairColor | None = None
    hair_type: HairType | None = None
    hair_style: HairStyle | None = None
    beard: Beard | None = None
    beard_color: HairColor | None = None
    makeup: Makeup | None = None


# --- carousel


class CarouselInput(ToolInput):
    asset_ref: str
    ratio: Ratio = Ratio.SQUARE
    width: int = 1024
    height: int = 1024
    number_of_images: int = 4


# --- videogen


class VideoModel(StrEnum):
    GROK_4_1 = "grok@4.1"
    KLING_1_6 = "kling@1.6"
    KLING_2_1 = "kling@2.1"
    KLING_2_5 = "kling@2.5"
    KLING_2_6 = "kling@2.6"
    SEEDANCE_PRO = "seedance_pro"
    SEEDANCE_PRO_FAST = "seedance_pro_fast"
    SEEDANCE_V1_5_PRO = "seedance_v1_5_pro"
    WAN_2_2 = "wan@2.2"
    WAN_2_2_LORA = "wan@2.2-lora"
    WAN_2_5 = "wan@2.5"
    WAN_2_6 = "wan@2.6"
    WAN_2_6_FLASH = "wan@2.6-flash"
    WAN_2_7 = "wan@2.7"
    WAN_2_7_NSFW = "wan@2.7-nsfw"


class VideoResolution(StrEnum):
    P480 = "480p"
    P720 = "720p"
    P1080 = "1080p"


class VideogenInput(ToolInput):
    ref_asset: str
    model: VideoModel = VideoModel.WAN_2_2
    last_frame: str | None = None
    audio_asset: str | None = None
    prompt: str = ""
    duration: Literal[5, 6, 8, 10, 12, 15] = 5
    negative_prompt: str = ""
    resolution: VideoResolution = VideoResolution.P720
    generate_audio: bool = True
    camera_fixed: bool = False
    prompt_extend: bool = False
    loras: dict[str, Any] | None = None


# --- image_editor


class EditorModel(StrEnum):
    FLUX_KLEIN_LORA = "FLUX_KLEIN_LORA"
    FLUX_KLEIN_NSFW = "FLUX_KLEIN_NSFW"
    GENERAL_NSFW = "GENERAL_NSFW"
    NANO_BANANA = "NANO_BANANA"
    QWEN_IMAGE = "QWEN_IMAGE"
    QWEN_IMAGE_PRO = "QWEN_IMAGE_PRO"
    SEEDREAM_5 = "SEEDREAM_5"
    WAN_2_7_IMAGE = "WAN_2_7_IMAGE"
    WAN_2_7_IMAGE_PRO = "WAN_2_7_IMAGE_PRO"


class ImageEditorInput(ToolInput):
    image_assets: list[str]
    prompt: str
    model: EditorModel = EditorModel.GENERAL_NSFW
    ratio: Ratio | None = None
    width: int = 1024
    height: int = 1024
    batch_mode: bool = False
    number_of_images: int = 1
    sequential_generation: bool = False
    lora_id: str | None = None


# --- collaber


class CollaberInput(ToolInput):
    asset_image_1: str
    asset_image_2: str
    location_asset: str | None = None
    prompt: str | None = None
    ratio: Ratio = Ratio.SQUARE
    width: int = 1024
    height: int = 1024
    number_of_images: int = 1


# --- video2video


class MotionMode(StrEnum):
    ANIMATE_NSFW = "animate_nsfw"
    ANIMATE_SFW = "animate_sfw"
    DREAMACTOR_M2 = "dreamactor_m2"
    KLING_2_6_SFW = "kling_2_6_sfw"
    REPLACE_NSFW = "replace_nsfw"
    REPLACE_SFW = "replace_sfw"


class Video2VideoInput(ToolInput):
    """Exactly one of `video_asset`, `instagram_url` and `tiktok_url` names the source."""

    image_asset: str
    video_asset: str | None = None
    instagram_url: str | None = None
    tiktok_url: str | None = None
    mode: MotionMode = MotionMode.REPLACE_SFW
    resolution: VideoResolution = VideoResolution.P720
    keep_original_sound: bool = True


# --- video_upscaler


class ScaleFactor(StrEnum):
    MAX = "max"
    X2 = "2"
    X3 = "3"
    X4 = "4"
    X5 = "5"
    X6 = "6"
    X7 = "7"
    X8 = "8"
    X9 = "9"
    X10 = "10"
    X15 = "15"
    X20 = "20"
    X25 = "25"
    X30 = "30"
    X40 = "40"
    X50 = "50"
    X75 = "75"
    X100 = "100"


class VideoUpscalerInput(ToolInput):
    video_asset: str
    scale_factor: ScaleFactor | None = None
    """Optional in the reference, which names no default."""


# --- video_merger


class Transition(StrEnum):
    CUT = "cut"
    DISSOLVE = "dissolve"
    FADE = "fade"
    SLIDE = "slide"


class MergerClip(ToolInput):
    """One clip of `clips`: the reference names only "asset_id + trim + duration"; trim and
    duration are read as optional seconds (where the clip starts, how long it plays)."""

    asset_id: str
    trim: float | None = None
    duration: float | None = None


class VideoMergerInput(ToolInput):
    """2 to 5 clips, played in the order given."""

    clips: list[MergerClip] = Field(min_length=2, max_length=5)
    transition: Transition = Transition.CUT
    keep_audio: bool = True
    fps: Literal[24, 30] = 30
    width: int = 1280
    height: int = 720


# --- lipsync


class LipsyncModel(StrEnum):
    GENERAL_NSFW = "GENERAL_NSFW"


class LipsyncInput(ToolInput):
    """A portrait first frame and at most 35 s of audio."""

    image_asset: str
    audio_asset: str
    prompt: str = ""
    model: LipsyncModel = LipsyncModel.GENERAL_NSFW
