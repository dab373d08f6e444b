"""gancourse: the library behind the GAN course notebooks.

Data sets, models, losses, training loops, metrics and plots, on CUDA, Apple MPS or the CPU.
"""
from gancourse.device import budget, get_device, quick_mode, seed_everything

__version__ = "0.1.0"
__all__ = ["budget", "get_device", "quick_mode", "seed_everything", "__version__"]
