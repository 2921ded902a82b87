"""What a capability folder exposes to the app and the CLI; `artgan.registry` lists them.

Each capability's `__init__.py` defines `CAPABILITY = Capability(...)`: its one word, its tab
label, the function adding its `artgan` commands and the function laying out its tab. app.py
and cli.py loop over `artgan.registry.CAPABILITIES` and know nothing else of any capability.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from artgan.errors import ArtganError

if TYPE_CHECKING:
    from artgan.stylize.pipeline import StyleLibrary

TRAIN_HINT = "this command needs the training extra: pip install '.[train]'"


@dataclass
class AppContext:
    """What the app hands every tab: the shared style libraries, the example photos, served folders."""

    styles: StyleLibrary  # the quality network's styles
    fast_styles: StyleLibrary  # the distilled network's (video and live need the speed), else `styles`
    examples: Path
    allowed_paths: list[Path] = field(default_factory=list)  # a tab adds the user folders its page shows


@dataclass
class Commands:
    """The `artgan` command groups a capability adds its commands to."""

    top: Any  # argparse's sub-parser action: `artgan COMMAND`
    train: Any | None  # `artgan train TASK`; None unless asked for (building it imports torch)
    export: Any | None  # `artgan export TASK`; likewise

    def torch_task(self, group: str, task: str, help_text: str, load: Callable[[], ModuleType]) -> None:
        """Add `artgan GROUP TASK` from a torch-side module with `add_arguments(p)` and `run(args)`."""
        groups = {"train": self.train, "export": self.export}
        if groups[group] is None:
            return
        p = groups[group].add_parser(task, help=help_text)
        try:
            module = load()
        except ImportError:
            p.add_argument("rest", nargs=argparse.REMAINDER, help=TRAIN_HINT)
            p.set_defaults(func=missing_torch)
            return
        module.add_arguments(p)
        p.set_defaults(func=module.run)


def missing_torch(_: argparse.Namespace) -> None:
    raise ArtganError(TRAIN_HINT)


@dataclass(frozen=True)
class Capability:
    """One capability: the word used for its folder, tab id and manifest task; its tab and commands."""

    name: str
    label: str  # the tab's title
    build_tab: Callable[[AppContext], None]  # lays the tab out inside the current gr.Tab; imports gradio itself
    add_commands: Callable[[Commands], None] = lambda commands: None  # a tab-only capability adds none
