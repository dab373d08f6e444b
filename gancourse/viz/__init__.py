"""Pictures and ipywidgets explorers: ``plots`` (sample grids, training curves, class counts and accuracy,
interpolations), ``minmax_explorer`` (the 1-D min-max game of notebook 02), ``class_explorer`` (a conditional
generator's classes and latent space), ``attributes``, ``translation`` and ``stargan`` (notebooks 04, 05 and 06's pictures)."""
from gancourse.viz.plots import (
    grid_image,
    plot_class_accuracy,
    plot_class_counts,
    plot_interpolation,
    plot_losses,
    plot_samples_over_training,
    plot_training,
    show_class_grid,
    show_grid,
)

__all__ = ["grid_image", "plot_class_accuracy", "plot_class_counts", "plot_interpolation", "plot_losses",
           "plot_samples_over_training", "plot_training", "show_class_grid", "show_grid"]
