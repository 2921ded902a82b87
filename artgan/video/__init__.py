"""Video: stylize a clip frame by frame, steady it with optical flow, keep its sound."""

from artgan.capability import AppContext, Capability
from artgan.video.commands import add_commands


def build_tab(app: AppContext) -> None:
    from artgan.video import ui  # gradio loads only when the app builds its tabs

    ui.build_tab(app)


CAPABILITY = Capability("video", "Video", build_tab, add_commands)
