"""The training screen (:class:`TrainingScreen`) and its tabs, one widget each:
:class:`LossTab`, :class:`ParamsTab`, :class:`SliceTab`, :class:`SurfaceTab` and
:class:`RegionsTab`, with the numbers-to-colours helpers they share in
:mod:`~cgtui.app.training.plotting`."""

from cgtui.app.training.loss_tab import LossTab
from cgtui.app.training.params_tab import ParamsTab
from cgtui.app.training.plotting import decade_ticks, heat_cells, param_colour, ramp_colour, thin
from cgtui.app.training.regions_tab import RegionsTab
from cgtui.app.training.screen import TrainingScreen
from cgtui.app.training.slice_tab import SliceTab
from cgtui.app.training.surface_tab import SurfaceTab
from cgtui.app.training.tab import TrainingTab

__all__ = [
    "LossTab",
    "ParamsTab",
    "RegionsTab",
    "SliceTab",
    "SurfaceTab",
    "TrainingScreen",
    "TrainingTab",
    "decade_ticks",
    "heat_cells",
    "param_colour",
    "ramp_colour",
    "thin",
]
