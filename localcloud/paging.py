"""Every item of an API Gateway v2 list call: MiniStack pages them with ``NextToken`` like AWS does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def every_item(call: Callable[..., dict[str, Any]], key: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Follow ``NextToken`` until the last page; ``key`` names the list in each page (``Items``)."""
    items: list[dict[str, Any]] = []
    token = None
    while True:
        page = call(**kwargs, **({"NextToken": token} if token else {}))
        items += page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return items
