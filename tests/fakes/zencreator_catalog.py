"""What the fake ZenCreator lists at `GET /loras`, `GET /templates` and
`GET /photoshoot-categories`.

The reference prints no bodies for these; the fake serves ``{"items": [...]}`` with the
fields below (the client's assumed shapes are in `providers/models.py`). Some entries offer
undressing, by name or only by description, as the real catalog does: the bot must never
show those (`UNDRESS_TEMPLATE_ID`, `UNDRESS_LORA_ID`).
"""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]

UNDRESS_TEMPLATE_ID = "tpl_undress"
"""A template whose name says it undresses."""
UNDRESS_LORA_ID = "lora_blink_reveal"
"""A LoRA whose name is harmless and whose description says it undresses."""

LORAS: tuple[JSON, ...] = (
    {
        "id": "lora_blink_hair_flip",
        "name": "Blink: hair flip",
        "description": "The character flips their hair and smiles at the camera.",
        "model": "wan@2.2",
    },
    {
        "id": "lora_blink_wave",
        "name": "Blink: wave hello",
        "description": "A friendly wave to the camera, from any first frame.",
        "model": "wan@2.2",
    },
    {
        "id": UNDRESS_LORA_ID,
        "name": "Blink: reveal",
        "description": "The character undresses in one smooth motion.",
        "model": "wan@2.2",
    },
    {
        "id": "lora_film_noir",
        "name": "Film noir",
        "description": "High-contrast black and white with hard shadows.",
        "model": "FLUX_KLEIN_LORA",
    },
)

TEMPLATES: tuple[JSON, ...] = (
    {
        "id": "tpl_watercolor",
        "name": "Watercolor portrait",
        "description": "Turns a photo into a soft watercolor painting.",
        "tool": "image_editor",
        "input": {
            "model": "FLUX_KLEIN_LORA",
            "lora_id": "tpl_watercolor",
            "prompt": "a watercolor painting of the person",
        },
    },
    {
        "id": UNDRESS_TEMPLATE_ID,
        "name": "Undress",
        "description": "Removes the clothing of the person in the photo.",
        "tool": "image_editor",
        "input": {
            "model": "FLUX_KLEIN_LORA",
            "lora_id": UNDRESS_TEMPLATE_ID,
            "prompt": "the same person",
        },
    },
    {
        "id": "tpl_beach_day",
        "name": "Beach day",
        "description": "A sunny beach photo, ready to post.",
        "tool": "by_prompt",
        "input": {
            "positive_prompt": "a person on a sunny beach, golden hour",
            "model": "GENERAL_SFW",
            "ratio": "9:16",
        },
    },
    {
        "id": "tpl_hair_flip_video",
        "name": "Hair flip",
        "description": "A short clip of the character flipping their hair.",
        "tool": "videogen",
        "input": {"model": "wan@2.2-lora", "loras": {"lora_blink_hair_flip": 1.0}},
    },
)

PHOTOSHOOT_CATEGORIES: tuple[JSON, ...] = (
    {
        "id": "cat_studio",
        "name": "Studio portraits",
        "description": "Clean backdrops and soft light.",
    },
    {
        "id": "cat_street",
        "name": "Street style",
        "description": "City streets, candid poses.",
    },
    {
        "id": "cat_beach",
        "name": "Beach",
        "description": "Sand, sea and sunsets.",
    },
)
