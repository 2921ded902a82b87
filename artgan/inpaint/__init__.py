"""Inpaint: restore a brushed-over region with a gated-convolution GAN generator."""

from artgan.capability import AppContext, Capability
from artgan.inpaint.commands import add_commands


def build_tab(app: AppContext) -> None:
    from artgan.inpaint import ui  # gradio loads only when the app builds its tabs

    ui.build_tab(app)


CAPABILITY = Capability("inpaint", "Inpaint", build_tab, add_commands)
