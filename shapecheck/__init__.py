"""shapecheck: audit Keras model architectures for merge-layer shape trouble."""

__version__ = "0.1.0"
