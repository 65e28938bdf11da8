"""Plots of plain figures, drawn by plotext (textual-plotext) in the app's theme: bars stacked
week by week, lines week by week, and one bar per label. Each is given its data (`show`) and
draws it again at every render, so its ticks fit the width it has; series are coloured by
theme variables (`$error`, `$warning`...), never by literal colours."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import RenderResult
from textual.color import Color
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

TICK_WIDTH = 10
"""Columns an x tick label needs, with its gap."""

DURATION_UNITS: tuple[tuple[str, float], ...] = (("minutes", 60.0), ("hours", 3600.0), ("days", 86400.0))


@dataclass(frozen=True)
class Series:
    """One series: its name (shown in the legend), a value for each x position (None: none
    there), and the theme variable that colours it."""

    name: str
    values: Sequence[float | None]
    colour: str


def duration_unit(longest_seconds: float) -> tuple[str, float]:
    """The unit a plot of durations up to `longest_seconds` reads best in, and its seconds."""
    if longest_seconds < 3 * 3600:
        return DURATION_UNITS[0]
    if longest_seconds < 3 * 86400:
        return DURATION_UNITS[1]
    return DURATION_UNITS[2]


def every_nth(count: int, width: int) -> int:
    """The step between the x labels shown, so that they fit `width` columns."""
    fitting = max(1, (width - 6) // TICK_WIDTH)
    return max(1, math.ceil(count / fitting))


def nice_ticks(top: float, rows: int) -> list[float]:
    """Ticks from 0 past `top` at a round step (1, 2 or 5 times a power of ten), about one for
    every three of `rows`, at least two."""
    wanted = max(2, rows // 3)
    rough = max(top, 1e-9) / wanted
    power = 10 ** math.floor(math.log10(rough))
    step = next(power * factor for factor in (1, 2, 5, 10) if power * factor >= rough)
    return [step * n for n in range(math.ceil(top / step) + 1)]


def tick_label(value: float) -> str:
    return f"{value:g}"


class ThemedPlot(PlotextPlot):
    """A plotext plot drawn from its data at each render; with no data, `empty` in words."""

    DEFAULT_CSS = """
    ThemedPlot {
        width: 1fr;
        height: 1fr;
    }
    ThemedPlot.-empty {
        color: $text-muted;
        content-align: center middle;
    }
    """

    def __init__(self, empty: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.empty = empty
        """What is said instead of empty axes."""

    def colour(self, variable: str) -> tuple[int, int, int]:
        """The RGB of a theme variable (`error`, `warning`, `primary`...) in the current theme."""
        return Color.parse(self.app.theme_variables[variable]).rgb

    def has_data(self) -> bool:
        raise NotImplementedError

    def draw(self, plt: Plot) -> None:
        raise NotImplementedError

    def render(self) -> RenderResult:
        self.set_class(not self.has_data(), "-empty")
        if not self.has_data():
            return Text(self.empty)
        plt = self.plt
        plt.clear_figure()
        self.draw(plt)
        return super().render()

    def x_ticks(self, plt: Plot, labels: Sequence[str]) -> None:
        step = every_nth(len(labels), self.size.width)
        shown = range(0, len(labels), step)
        plt.xticks(list(shown), [labels[x] for x in shown])


class SeriesPlot(ThemedPlot):
    """A plot of named series over the same x labels (`show` gives them)."""

    labels: list[str]
    series: list[Series]

    def __init__(self, empty: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(empty, id=id, classes=classes)
        self.labels, self.series = [], []

    def show(self, labels: list[str], series: list[Series]) -> None:
        self.labels, self.series = labels, series
        self.refresh()


class StackedBars(SeriesPlot):
    """Bars stacked per x label (incidents per week, one colour per severity)."""

    def has_data(self) -> bool:
        return bool(self.labels) and any(value for one in self.series for value in one.values)

    def draw(self, plt: Plot) -> None:
        xs = list(range(len(self.labels)))
        plt.stacked_bar(  # type: ignore[call-arg]  # the package's stub lacks plotext's `labels` and colour lists
            xs,
            [[value or 0 for value in one.values] for one in self.series],
            labels=[one.name for one in self.series],
            color=[self.colour(one.colour) for one in self.series],  # type: ignore[arg-type]
            width=0.8,
        )
        tallest = max(sum(one.values[x] or 0 for one in self.series) for x in xs)
        room = max(1, self.size.height - 3)  # rows the y axis has
        top = tallest * (1 + len(self.series) / room) + 0.5  # the legend's rows above the bars
        ticks = [tick for tick in nice_ticks(tallest, room) if tick == int(tick)] or [0, 1]
        plt.ylim(0, max(top, ticks[-1]))
        plt.yticks(ticks, [tick_label(tick) for tick in ticks])
        self.x_ticks(plt, self.labels)


class Lines(SeriesPlot):
    """Lines over x labels, the values in seconds shown in the unit that reads best."""

    def has_data(self) -> bool:
        return any(value is not None for one in self.series for value in one.values)

    def draw(self, plt: Plot) -> None:
        longest = max(value for one in self.series for value in one.values if value is not None)
        unit, seconds = duration_unit(longest)
        for one in self.series:
            points = [(x, value / seconds) for x, value in enumerate(one.values) if value is not None]
            plt.plot(
                [x for x, _ in points],
                [y for _, y in points],
                label=one.name,
                color=self.colour(one.colour),
                marker="braille",
            )
        plt.xlim(0, max(1, len(self.labels) - 1))
        room = max(1, self.size.height - 3)
        ticks = nice_ticks(longest / seconds, room)
        plt.ylim(0, max(ticks[-1], longest / seconds * (1 + 3 / room)))  # room for the legend above the lines
        plt.yticks(ticks, [tick_label(tick) for tick in ticks])
        plt.ylabel(unit)
        self.x_ticks(plt, self.labels)


class LabelBars(ThemedPlot):
    """One horizontal bar per label (time at each severity), durations in the unit that reads best."""

    bars: list[tuple[str, float, str]]
    """(label, seconds, theme variable) per bar, top to bottom."""

    def __init__(self, empty: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(empty, id=id, classes=classes)
        self.bars = []

    def show(self, bars: list[tuple[str, float, str]]) -> None:
        self.bars = bars
        self.refresh()

    def has_data(self) -> bool:
        return any(seconds > 0 for _, seconds, _ in self.bars)

    def draw(self, plt: Plot) -> None:
        longest = max(value for _, value, _ in self.bars)
        unit, seconds = duration_unit(longest)
        shown = list(reversed(self.bars))  # plotext draws the first bar at the bottom
        for y, (_, value, colour) in enumerate(shown):  # one series a bar: plotext colours a series
            plt.bar([y], [value / seconds], orientation="horizontal", color=self.colour(colour), width=0.6)
        plt.yticks(list(range(len(shown))), [label for label, _, _ in shown])
        ticks = nice_ticks(longest / seconds, max(1, self.size.width // 3))
        plt.xlim(0, ticks[-1])
        plt.xticks(ticks, [tick_label(tick) for tick in ticks])
        plt.xlabel(unit)
