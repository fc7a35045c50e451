"""The `console://` channel: alerts printed in the terminal, for trying Newswatch out.

Importing this module registers the scheme with Apprise (`alerts.deliver` imports it), so
`channels: {terminal: "console://"}` in a config prints each digest to stdout instead of
sending it anywhere.
"""

from __future__ import annotations

import sys

from apprise.decorators import notify

SCHEME = "console"


@notify(on=SCHEME, name="Console")
def print_message(body: str, title: str, *args: object, **kwargs: object) -> bool:
    """Write the title, a rule under it, the body and a blank line to stdout."""
    lines = [title, "-" * min(max(len(title), 3), 72)] if title else []
    sys.stdout.write("\n".join([*lines, body, "", ""]))
    sys.stdout.flush()
    return True
