"""Reference models, built from blocks up. One module per family."""
from gancourse.models.conditional import ConditionalDiscriminator, ConditionalGenerator
from gancourse.models.dcgan import DCGANDiscriminator, DCGANGenerator, dcgan_init, down_block, up_block
from gancourse.models.mlp import MLPDiscriminator, MLPGenerator, dense_block
from gancourse.models.toy import AffineGenerator, Discriminator1D, Generator1D

__all__ = ["AffineGenerator", "ConditionalDiscriminator", "ConditionalGenerator", "DCGANDiscriminator", "DCGANGenerator", "Discriminator1D", "Generator1D",
           "MLPDiscriminator", "MLPGenerator", "dcgan_init", "dense_block", "down_block", "up_block"]
