"""A user function whose module cannot be imported: the local cloud's readiness must name it at once."""

import archbench_no_such_dependency  # type: ignore[import-not-found]  # noqa: F401


def handler(event, context):
    return event
