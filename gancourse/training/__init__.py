"""Training: one loop for every model family (``loop.train``), and one small module per family holding its steps.

* ``loop`` — ``train(family, data, steps=...)`` and the ``Family`` base class; ``history`` — ``History``;
  ``checkpoints`` — atomic checkpoint files;
* ``gan`` — ``d_step``, ``g_step``, ``weight_average``, the ``GAN`` family and ``train_gan``;
* ``conditional`` — the labelled steps, the ``ConditionalGAN`` family and ``train_cgan``;
* ``discriminator`` — ``fit_discriminator``: D alone against a fixed G;
* ``multihot`` — the conditional GAN on multi-hot labels (a class and binary attributes at once);
* ``vae`` — the ``VAEFamily`` on the ELBO (its terms are in ``gancourse.losses``) and ``train_vae``;
* ``cyclegan`` — the image pool, the generator objective, the two steps, the ``CycleGAN`` family, ``train_cyclegan``;
* ``stargan`` — StarGAN's objectives and steps, the ``StarGAN`` family and ``train_stargan``;
* ``rbm`` — contrastive divergence (CD-k and persistent CD), the ``RBMFamily`` and ``train_rbm``.
"""
from gancourse.training.cyclegan import CycleGAN, train_cyclegan
from gancourse.training.checkpoints import load_checkpoint, read_states, save_checkpoint, write_states
from gancourse.training.gan import GAN, d_step, g_step, train_gan, weight_average
from gancourse.training.history import History
from gancourse.training.loop import Family, train
from gancourse.training.rbm import RBMFamily, train_rbm
from gancourse.training.stargan import StarGAN, train_stargan
from gancourse.training.vae import VAEFamily, kl_to_standard_normal, reconstruction_loss, train_vae, vae_loss

__all__ = ["CycleGAN", "GAN", "Family", "History", "RBMFamily", "StarGAN", "VAEFamily", "d_step", "g_step",
           "kl_to_standard_normal", "load_checkpoint", "read_states", "reconstruction_loss", "save_checkpoint", "train",
           "train_cyclegan", "train_gan", "train_rbm", "train_stargan", "train_vae", "vae_loss", "weight_average",
           "write_states"]
