"""Texture: synthesize textures of any size, tileable, morphable; learn new ones from an image."""

from artgan.capability import AppContext, Capability
from artgan.texture.commands import add_commands


def build_tab(app: AppContext) -> None:
    from artgan.texture import ui  # gradio loads only when the app builds its tabs

    ui.build_tab(app)


CAPABILITY = Capability("texture", "Texture", build_tab, add_commands)
