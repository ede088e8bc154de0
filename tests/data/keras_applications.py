"""Keras' own architectures (weights=None: nothing is downloaded). shapecheck must find no
error and no warning in any of them."""
import keras

A = keras.applications


def build_resnet50():
    return A.ResNet50(weights=None)


def build_resnet50v2():
    return A.ResNet50V2(weights=None)


def build_densenet121():
    return A.DenseNet121(weights=None)


def build_mobilenetv2():
    return A.MobileNetV2(weights=None)


def build_efficientnetb0():
    return A.EfficientNetB0(weights=None)


def build_nasnetmobile():
    return A.NASNetMobile(weights=None)


def build_inceptionv3():
    return A.InceptionV3(weights=None)


def build_inceptionresnetv2():
    return A.InceptionResNetV2(weights=None)


def build_xception():
    return A.Xception(weights=None)


def build_convnexttiny():
    return A.ConvNeXtTiny(weights=None)
