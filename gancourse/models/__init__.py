"""Reference models, built from blocks up. One module per family."""
from gancourse.models.mlp import MLPDiscriminator, MLPGenerator, dense_block

__all__ = ["MLPDiscriminator", "MLPGenerator", "dense_block"]
