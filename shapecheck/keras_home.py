"""A private KERAS_HOME: Keras writes keras.json into its home when it is imported, and
checking must write nothing into the user's. Read by the warden (for its children) and by
capture/session.py (for a check in shapecheck's own process)."""

from __future__ import annotations

import os
import shutil


def keras_home(folder: str) -> str:
    """A KERAS_HOME for the children: Keras writes keras.json there, not in the user's home.
    The user's own settings (backend, image data format) are copied in."""
    home = os.path.join(folder, "keras-home")
    os.makedirs(home, exist_ok=True)
    user = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    settings = os.path.join(user, "keras.json")
    if os.path.isfile(settings) and not os.path.exists(os.path.join(home, "keras.json")):
        shutil.copyfile(settings, os.path.join(home, "keras.json"))
    return home
