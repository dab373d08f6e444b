"""Data sets for the course: MNIST and Fashion-MNIST, from torchvision or the subsets embedded in the package, and
the two digit domains (handwritten, printed) of the CycleGAN notebook, and binarised images (for the RBM)."""
from gancourse.data.binary import binarise, binarised_set, binarised_test_set, bits_to_images, images_to_bits
from gancourse.data.domains import DOMAINS, UnpairedLoader, domain_index, load_domain, unpaired_loader
from gancourse.data.images import (
    DATASETS,
    DataFileError,
    EmbeddedDataNotice,
    ImageDataset,
    canonical_name,
    class_names,
    default_root,
    load_images,
)

__all__ = [
    "DATASETS",
    "DOMAINS",
    "DataFileError",
    "EmbeddedDataNotice",
    "ImageDataset",
    "UnpairedLoader",
    "binarise",
    "binarised_set",
    "binarised_test_set",
    "bits_to_images",
    "canonical_name",
    "class_names",
    "default_root",
    "domain_index",
    "images_to_bits",
    "load_domain",
    "load_images",
    "unpaired_loader",
]
