import keras

while True:
    pass
