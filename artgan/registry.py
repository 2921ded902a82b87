"""Every capability, in tab order: the one list app.py and cli.py loop over.

To add one: give its folder a `CAPABILITY` (see `artgan.capability`) and add it here.
"""

from __future__ import annotations

from artgan import inpaint, live, stylize, texture, video
from artgan.capability import Capability

CAPABILITIES: tuple[Capability, ...] = (
    stylize.CAPABILITY,
    inpaint.CAPABILITY,
    texture.CAPABILITY,
    video.CAPABILITY,
    live.CAPABILITY,
)
