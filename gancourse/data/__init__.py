"""Data sets for the course: MNIST and Fashion-MNIST, from torchvision or the subsets embedded in the package."""
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
    "DataFileError",
    "EmbeddedDataNotice",
    "ImageDataset",
    "canonical_name",
    "class_names",
    "default_root",
    "load_images",
]
