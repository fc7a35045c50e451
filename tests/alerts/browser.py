"""An HTML email as a reader sees it, in headless Chromium: what shows, what links, what fits.

`look(html, width)` opens the message in a frame `width` CSS pixels wide (a phone is 360)
and reports what the layout engine made of it: the visible text, the links, the marked
words, anything wider than the frame, and text whose contrast with what is behind it is
too low, in the light or (`dark=True`) the dark theme. `screenshot(html, width, path)`
saves a PNG of it. The README's pictures are made with the same code:

    .venv/bin/python -m tests.alerts.browser docs/

Chromium is the Debian package `chromium` (`apt-get install chromium`); `.ci/run` installs
it. Each call starts a fresh browser with its own profile and nothing from the network.
"""

from __future__ import annotations

import html as html_lib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

# Set by .ci/run: there, a missing browser is a failure, not a reason to skip. Read on import,
# before the tests' autouse fixture clears NEWSWATCH_* from the environment.
REQUIRE_ENV = "NEWSWATCH_REQUIRE_CHROMIUM"
REQUIRED = bool(os.environ.get(REQUIRE_ENV))
WIDTHS = (360, 900)
# The README's pictures: file name, width, dark theme.
SHOTS = (("digest-email-360.png", 360, False), ("digest-email-900.png", 900, False),
         ("digest-email-360-dark.png", 360, True))
_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--mute-audio",
)
_TIMEOUT = 60  # seconds for one browser run
# What the frame's page reports, as JSON in the element below (read back from --dump-dom).
_RESULT_ID = "newswatch-seen"
_PROBE = """
<script>
window.addEventListener("load", () => {
  const frame = document.querySelector("iframe");
  const doc = frame.contentDocument, win = frame.contentWindow;
  const style = (e) => win.getComputedStyle(e);
  const rgba = (s) => { const n = s.match(/[\\d.]+/g).map(Number);
                        return [n[0], n[1], n[2], n.length > 3 ? n[3] : 1]; };
  const over = (top, alpha, under) => [0, 1, 2].map(i => top[i] * alpha + under[i] * (1 - alpha));
  const channel = (c) => {
    c /= 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = (c) => 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2]);
  const probe = doc.createElement("div");
  probe.style.backgroundColor = "Canvas";
  doc.body.appendChild(probe);
  const canvas = rgba(style(probe).backgroundColor);
  probe.remove();
  const chain = (e) => {
    const up = [];
    for (; e; e = e.parentElement) up.push(e);
    return up.reverse();
  };
  const lowContrast = [], overflowing = [];
  for (const e of doc.body.querySelectorAll("*")) {
    const box = e.getBoundingClientRect();
    if (box.width && box.right > win.innerWidth + 0.5) overflowing.push(e.outerHTML.slice(0, 120));
    const text = [...e.childNodes].filter(n => n.nodeType === 3).map(n => n.data).join("").trim();
    if (!text || !e.getClientRects().length) continue;
    let behind = canvas, opacity = 1;
    for (const up of chain(e)) {
      const bg = rgba(style(up).backgroundColor);
      if (bg[3] > 0) behind = over(bg, bg[3], behind);
      opacity *= parseFloat(style(up).opacity);
    }
    const fg = rgba(style(e).color);
    const seen = over(fg, fg[3] * opacity, behind);
    const [a, b] = [luminance(seen), luminance(behind)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < 4.5) lowContrast.push(`${ratio.toFixed(2)}: ${text.slice(0, 60)}`);
  }
  const marked = [...doc.querySelectorAll("b")].filter(b => rgba(style(b).backgroundColor)[3] > 0);
  const result = {
    width: win.innerWidth,
    scroll_width: doc.documentElement.scrollWidth,
    height: Math.ceil(doc.documentElement.getBoundingClientRect().height),
    text: doc.body.innerText,
    links: [...doc.querySelectorAll("a[href]")].map(a => [a.innerText, a.getAttribute("href")]),
    marks: marked.map(b => b.innerText),
    overflowing, low_contrast: lowContrast,
    dark: win.matchMedia("(prefers-color-scheme: dark)").matches,
  };
  const out = document.createElement("pre");
  out.id = "%s";
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
});
</script>
""" % _RESULT_ID  # noqa: UP031 (braces of the script would need doubling in a format string)


@dataclass(frozen=True)
class Seen:
    """What a reader sees of a message in a frame `width` pixels wide."""

    width: int
    scroll_width: int
    height: int
    text: str
    links: list[tuple[str, str]]  # (link text, href)
    marks: list[str]
    overflowing: list[str]
    low_contrast: list[str]
    dark: bool


def chromium() -> str | None:
    """The Chromium executable, or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_chromium() -> str:
    """Chromium for a test: skipped without it, except where `REQUIRE_ENV` is set (CI)."""
    found = chromium()
    if found:
        return found
    message = "chromium is not installed (apt-get install -y chromium)"
    if REQUIRED:
        pytest.fail(f"{message}, and {REQUIRE_ENV} is set: the email must be seen in a browser")
    pytest.skip(message)


def look(html: str, width: int, *, dark: bool = False) -> Seen:
    """`html` laid out in a frame `width` px wide, as Chromium's light or dark theme shows it."""
    page = _page(html, width, height=2000) + _PROBE
    dumped = _run(page, width, 2000, ["--dump-dom"], dark=dark)
    found = re.search(f'<pre id="{_RESULT_ID}">(.*?)</pre>', dumped, re.DOTALL)
    if found is None:
        raise AssertionError(f"Chromium gave no result for the page:\n{dumped[-2000:]}")
    values = json.loads(html_lib.unescape(found.group(1)))
    values["links"] = [tuple(link) for link in values["links"]]
    return Seen(**values)


def screenshot(html: str, width: int, path: Path, *, dark: bool = False,
               height: int | None = None) -> Path:
    """A PNG of `html` `width` px wide and as tall as the message (`height`, when known)."""
    height = height or look(html, width, dark=dark).height
    path.parent.mkdir(parents=True, exist_ok=True)
    # The window lays out at least 500 px wide, but the picture is `width` wide: the frame.
    _run(_page(html, width, height), width, height, [f"--screenshot={path.resolve()}"],
         dark=dark)
    return path


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])


def _page(html: str, width: int, height: int) -> str:
    frame = (f'<iframe srcdoc="{html_lib.escape(html, quote=True)}" '
             f'style="border:0;display:block;width:{width}px;height:{height}px"></iframe>')
    return f'<!DOCTYPE html><html><body style="margin:0">{frame}</body></html>'


def _run(page: str, width: int, height: int, action: list[str], *, dark: bool) -> str:
    browser = chromium()
    if browser is None:
        raise RuntimeError("chromium is not installed (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "page.html"
        source.write_text(page, encoding="utf-8")
        command = [browser, *_FLAGS, f"--user-data-dir={Path(work) / 'profile'}",
                   f"--window-size={width},{height}", *action,
                   *(["--force-dark-mode"] if dark else []), source.as_uri()]
        done = subprocess.run(command, capture_output=True, text=True, timeout=_TIMEOUT,
                              stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"chromium failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def main(argv: list[str]) -> int:
    """Write the README's screenshots of the showcase digest's email into a folder."""
    from alerts.digest import render
    from tests.alerts.showcase import ZONE, showcase

    if len(argv) != 1:
        print("usage: python -m tests.alerts.browser FOLDER", file=sys.stderr)
        return 2
    [message] = render(showcase(), "email", tz=ZONE)
    for name, width, dark in SHOTS:
        print(screenshot(message.body, width, Path(argv[0]) / name, dark=dark))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
