"""Measuring generated images: the shipped classifiers, the Fréchet distance in their feature space, the
class accuracy of a conditional generator, the measures of a translation between two digit domains, and
likelihoods (an RBM's exact and AIS log Z, a VAE's importance-weighted bound, Parzen windows), and whether samples
copy the training images (memorisation)."""
from gancourse.metrics.labels import class_accuracy
from gancourse.metrics.classifier import (
    IMAGE_SHAPE,
    PRETRAINED_DIR,
    SmallClassifier,
    accuracy,
    classifier_path,
    load_classifier,
    predict,
    sample_report,
)
from gancourse.metrics.fid import (
    classifier_features,
    classifier_fid,
    evaluate_generator,
    feature_statistics,
    frechet_distance,
)
from gancourse.metrics.translation import (
    content_kept,
    cycle_error,
    domain_reached,
    load_translation_classifiers,
    translation_fd,
    translation_report,
)
from gancourse.metrics.likelihood import (
    AISResult,
    ais_betas,
    ais_log_partition,
    choose_parzen_sigma,
    exact_log_partition,
    iwae_bound,
    parzen_log_likelihood,
    pseudo_log_likelihood,
    rbm_log_likelihood,
)
from gancourse.metrics.memorisation import memorisation_report, nearest_neighbours
from gancourse.metrics.stargan import stargan_report, translate

__all__ = ["IMAGE_SHAPE", "PRETRAINED_DIR", "SmallClassifier", "accuracy", "class_accuracy", "classifier_features",
           "classifier_fid", "classifier_path", "evaluate_generator", "feature_statistics", "frechet_distance",
           "load_classifier", "predict", "sample_report",
           "content_kept", "cycle_error", "domain_reached", "load_translation_classifiers", "translation_fd",
           "translation_report",
           "AISResult", "ais_betas", "ais_log_partition", "choose_parzen_sigma", "exact_log_partition", "iwae_bound",
           "parzen_log_likelihood", "pseudo_log_likelihood", "rbm_log_likelihood",
           "memorisation_report", "nearest_neighbours", "stargan_report", "translate"]
