import keras

def build_model(:
    return None
