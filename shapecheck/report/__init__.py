"""Reporters: each turns a RunReport into text. Nothing here imports Keras."""
