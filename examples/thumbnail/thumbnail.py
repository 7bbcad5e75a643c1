"""An example user function for ``archbench:function``: an SQS-triggered image thumbnailer with Pillow.

Each record's body is ``{"image": <base64 PNG or JPEG>, "size": <longest side in px>}``; the answer lists each
thumbnail's size and the sha256 of its PNG bytes, so archbench can check every architecture computes the same.
``THUMBNAIL_FORMAT`` (environment) picks the output format; PNG by default.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
from typing import Any

from PIL import Image

FORMAT = os.environ.get("THUMBNAIL_FORMAT", "PNG")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"thumbnails": [thumbnail(json.loads(record["body"])) for record in event["Records"]]}


def thumbnail(request: dict[str, Any]) -> dict[str, Any]:
    with Image.open(io.BytesIO(base64.b64decode(request["image"]))) as image:
        image.thumbnail((request["size"], request["size"]), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, format=FORMAT)
        return {"width": image.width, "height": image.height, "format": FORMAT,
                "sha256": hashlib.sha256(out.getvalue()).hexdigest()}
