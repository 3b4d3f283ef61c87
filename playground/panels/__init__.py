"""The ordered registry of panels. Panel modules are imported only when first shown (fast start-up)."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playground.panels.base import Panel


@dataclass(frozen=True)
class PanelEntry:
    name: str
    title: str
    icon: str
    module: str
    class_name: str

    def load(self) -> "type[Panel]":
        return getattr(importlib.import_module(self.module), self.class_name)


PANELS: tuple[PanelEntry, ...] = (
    PanelEntry("sampling", "Sampling", "sampling.svg", "playground.panels.sampling", "SamplingPanel"),
    PanelEntry("gmm", "GMM-EM", "gmm.svg", "playground.panels.gmm", "GMMPanel"),
    PanelEntry("gan", "GAN 1-D", "gan.svg", "playground.panels.gan", "GANPanel"),
    PanelEntry("vae", "VAE", "vae.svg", "playground.panels.vae", "VAEPanel"),
    PanelEntry("diffusion", "Diffusion", "diffusion.svg", "playground.panels.diffusion", "DiffusionPanel"),
    PanelEntry("markov", "Markov text", "markov.svg", "playground.panels.markov", "MarkovPanel"),
    PanelEntry("compare", "Compare", "compare.svg", "playground.panels.compare", "ComparePanel"),
)


def find(name: str) -> PanelEntry:
    for entry in PANELS:
        if entry.name == name:
            return entry
    raise ValueError(f"no panel called {name!r}; the panels are: {', '.join(e.name for e in PANELS)}")
