"""Keras' own architectures built under channels_first (weights=None, input (3, 224, 224)):
shapecheck must read every axis in that layout and find no error and no warning. DenseNet,
NASNet and ConvNeXt are left out: Keras refuses to build them channels_first."""
import keras

A = keras.applications
keras.config.set_image_data_format("channels_first")
SHAPE = (3, 224, 224)


def build_resnet50():
    return A.ResNet50(weights=None, input_shape=SHAPE)


def build_resnet50v2():
    return A.ResNet50V2(weights=None, input_shape=SHAPE)


def build_mobilenetv2():
    return A.MobileNetV2(weights=None, input_shape=SHAPE)


def build_efficientnetb0():
    return A.EfficientNetB0(weights=None, input_shape=SHAPE)


def build_inceptionv3():
    return A.InceptionV3(weights=None, input_shape=(3, 299, 299))


def build_inceptionresnetv2():
    return A.InceptionResNetV2(weights=None, input_shape=(3, 299, 299))


def build_xception():
    return A.Xception(weights=None, input_shape=(3, 299, 299))
