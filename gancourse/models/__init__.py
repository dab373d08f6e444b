"""Reference models, built from blocks up. One module per family."""
from gancourse.models.conditional import ConditionalDiscriminator, ConditionalGenerator
from gancourse.models.cyclegan import CycleGANConfig, PatchDiscriminator, ResidualBlock, ResnetGenerator
from gancourse.models.dcgan import DCGANDiscriminator, DCGANGenerator, dcgan_init, down_block, up_block
from gancourse.models.mlp import MLPDiscriminator, MLPGenerator, dense_block
from gancourse.models.rbm import BernoulliRBM
from gancourse.models.stargan import StarDiscriminator, StarGANConfig, StarGenerator, label_maps
from gancourse.models.toy import AffineGenerator, Discriminator1D, Generator1D
from gancourse.models.vae import VAE, reparameterise

__all__ = ["AffineGenerator", "BernoulliRBM", "ConditionalDiscriminator", "ConditionalGenerator", "CycleGANConfig",
           "DCGANDiscriminator", "DCGANGenerator", "Discriminator1D", "Generator1D", "MLPDiscriminator", "MLPGenerator",
           "PatchDiscriminator", "ResidualBlock", "ResnetGenerator", "StarDiscriminator", "StarGANConfig",
           "StarGenerator", "VAE", "dcgan_init", "dense_block", "down_block",
           "label_maps", "reparameterise", "up_block"]
