"""Light, dark and projector palettes, and the presentation scale.

Series colours are the Okabe–Ito palette in every theme: distinguishable with the common colour-vision deficiencies,
and on a washed-out projector. The projector theme adds pure black-on-white contrast and thicker lines.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

# Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, vermillion, reddish purple, sky blue,
# yellow, black — reordered so the first three are the most distinct from each other.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    panel_background: str
    foreground: str
    muted: str          # axis text, secondary labels
    grid_alpha: float
    accent: str         # truth curves, highlights
    good: str
    bad: str
    series: tuple[str, ...]
    line_width: float
    marker_size: float
    font_pt: float
    scale: float = 1.0  # presentation scale: fonts, markers and lines grow together

    def color(self, i: int) -> str:
        return self.series[i % len(self.series)]

    @property
    def pen_width(self) -> float:
        return self.line_width * self.scale

    @property
    def marker(self) -> float:
        return self.marker_size * self.scale

    @property
    def font_size(self) -> float:
        return self.font_pt * self.scale

    def scaled(self, scale: float) -> "Theme":
        return replace(self, scale=scale)


THEMES: dict[str, Theme] = {
    "light": Theme("light", background="#ffffff", panel_background="#f4f5f7", foreground="#1d1f23", muted="#555b66",
                   grid_alpha=0.25, accent="#1d1f23", good="#009E73", bad="#D55E00", series=OKABE_ITO[:7],
                   line_width=2.0, marker_size=6.0, font_pt=10.0),
    "dark": Theme("dark", background="#17191d", panel_background="#202328", foreground="#e8eaed", muted="#a6acb6",
                  grid_alpha=0.2, accent="#f5f5f5", good="#3ddc97", bad="#ff7b54",
                  series=("#56B4E9", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#F0E442", "#0072B2"),
                  line_width=2.0, marker_size=6.0, font_pt=10.0),
    "projector": Theme("projector", background="#ffffff", panel_background="#ffffff", foreground="#000000",
                       muted="#000000", grid_alpha=0.35, accent="#000000", good="#009E73", bad="#D55E00",
                       series=OKABE_ITO[:7], line_width=3.5, marker_size=9.0, font_pt=12.0),
}

#: Presentation mode multiplies fonts, markers and lines by this (checked at 1280×720 and 1920×1080).
PRESENTATION_SCALE = 1.6


def get_theme(name: str, *, presentation: bool = False) -> Theme:
    if name not in THEMES:
        raise ValueError(f"unknown theme {name!r}; choose one of {', '.join(THEMES)}")
    theme = THEMES[name]
    return theme.scaled(PRESENTATION_SCALE) if presentation else theme
