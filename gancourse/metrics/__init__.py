"""Measuring generated images: the shipped classifiers, the Fréchet distance in their feature space, and the
class accuracy of a conditional generator."""
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

__all__ = ["IMAGE_SHAPE", "PRETRAINED_DIR", "SmallClassifier", "accuracy", "class_accuracy", "classifier_features",
           "classifier_fid", "classifier_path", "evaluate_generator", "feature_statistics", "frechet_distance",
           "load_classifier", "predict", "sample_report"]
