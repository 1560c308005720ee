"""Model zoo: jet_mlp, digits_cnn, resnet20 and the FracBNN-style bnn, built from plain data."""

from codesign.models.zoo import MODELS, InputSpec, Sequential, build_model

__all__ = ["MODELS", "InputSpec", "Sequential", "build_model"]
