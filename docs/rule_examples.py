"""Each rule's documented Example and Use instead, as whole modules that can be checked.

A rule's docstring (shapecheck/rules/*.py) shows the lines that matter; the templates below
put those lines, verbatim, into a module with what they need around them (an input, the
model). `docs/rule_pages.py` shows both modules on the rule's page; `tests/test_rule_docs.py` checks
them with shapecheck and requires the rule to fire on the example and not on the fix.
`{example}` and `{instead}` stand for the docstring's code, dedented.
"""

from __future__ import annotations

import re
import textwrap

HEADER = """\
import keras
import tensorflow as tf
from keras import layers
from keras.layers import *  # the snippets name layers bare: Input, Conv2D, Add, ...
"""

# code -> (module with the Example, module with the Use instead code, or None when the
# rule's advice is not code)
TEMPLATES: dict[str, tuple[str, str | None]] = {
    "SC001": (
        """\
inputs = Input((8, 8, 4))
y = Conv2D(4, 1)(inputs)
shortcut = inputs
{example}
model = keras.Model(inputs, x)
""",
        """\
inputs = Input((8, 8, 4))
y = Conv2D(4, 1)(inputs)
shortcut = inputs
{instead}
model = keras.Model(inputs, x)
""",
    ),
    "SC002": (
        """\
class MyOpaqueLayer(keras.layers.Layer):
    def call(self, x):
        return x * keras.ops.mean(keras.ops.image.extract_patches(x, 4))


{example}
model = keras.Model(x, out)
""",
        """\
class MyOpaqueLayer(keras.layers.Layer):
    def call(self, x):
        return x * keras.ops.mean(keras.ops.image.extract_patches(x, 4))


{instead}
y = MyOpaqueLayer()(x)
out = layers.Concatenate()([x, y])
model = keras.Model(x, out)
""",
    ),
    "SC003": (
        """\
{example}


class ConvBlock(Block):
    def __init__(self):
        super().__init__()
        self.conv = layers.Conv2D(8, 3, padding="same")


inputs = Input((16, 16, 8))
model = keras.Model(inputs, ConvBlock()(inputs))
""",
        """\
{instead}


class ConvBlock(Block):
    def __init__(self):
        super().__init__()
        self.conv = layers.Conv2D(8, 3, padding="same")


inputs = Input((16, 16, 8))
model = keras.Model(inputs, ConvBlock()(inputs))
""",
    ),
    "SC101": (
        """\
x = Input((56, 56, 64))
{example}
model = keras.Model(x, out)
""",
        """\
x = Input((56, 56, 64))
y = Conv2D(256, 1)(x)
{instead}
model = keras.Model(x, out)
""",
    ),
    "SC102": (
        """\
x = Input((56, 56, 64))
{example}
model = keras.Model(x, out)
""",
        """\
x = Input((56, 56, 64))
{instead}
model = keras.Model(x, out)
""",
    ),
    "SC103": (
        """\
x = Input((8, 8, 32))
y = Conv2D(64, 1)(x)
{example}
model = keras.Model(x, out)
""",
        """\
x = Input((8, 8, 32))
y = Conv2D(64, 1)(x)
v = GlobalAveragePooling2D()(x)
{instead}
model = keras.Model(x, out)
""",
    ),
    "SC104": (
        """\
{example}
model = keras.Model(inputs, x)
""",
        """\
{instead}
skip = Conv2D(32, 3, padding="same")(inputs)
x = UpSampling2D()(MaxPooling2D()(skip))
x = Concatenate()([x, skip])
model = keras.Model(inputs, x)
""",
    ),
    "SC201": (
        """\
x = Input((56, 56, 64))
{example}
model = keras.Model(x, out)
""",
        """\
x = Input((56, 56, 64))
attention = Conv2D(1, 7, padding="same", activation="sigmoid")(x)
{instead}
model = keras.Model(x, out)
""",
    ),
    "SC202": (
        """\
{example}
model = keras.Model(x, out)
""",
        """\
x = Input((64, 64, 32))
t = Permute((2, 1, 3))(x)      # (W, H, C)
{instead}
model = keras.Model(x, out)
""",
    ),
    "SC203": (
        """\
def build_grouped(groups=4, g=8):
    inputs = Input((8, 8, groups * g))
    branches = []
    {example}
        branches.append(Conv2D(g, 3, padding="same")(x))
    return keras.Model(inputs, Concatenate()(branches))
""",
        """\
def build_grouped(groups=4, g=8):
    inputs = Input((8, 8, groups * g))
    branches = []
    {instead}
        branches.append(Conv2D(g, 3, padding="same")(x))
    return keras.Model(inputs, Concatenate()(branches))
""",
    ),
    "SC204": (
        """\
up = Input((16, 16, 8))
skip = Input((16, 16, 8))
{example}
model = keras.Model([up, skip], merged)
""",
        """\
up = Input((16, 16, 8))
skip = Input((16, 16, 8))
{instead}
model = keras.Model([up, skip], merged)
""",
    ),
    "SC205": (
        """\
{example}
model = keras.Model(inputs, x)
""",
        """\
{instead}
model = keras.Model(inputs, x)
""",
    ),
    "SC301": (
        """\
{example}
x, skips = inputs, []
for filters in (16, 32, 64, 128):
    x = Conv2D(filters, 3, padding="same")(x)
    skips.append(x)
    x = MaxPooling2D()(x)
for skip in reversed(skips):
    x = Concatenate()([UpSampling2D()(x), skip])
model = keras.Model(inputs, x)
""",
        None,
    ),
}


def split_instead(instead: str) -> tuple[str, str]:
    """'Use instead' as (prose, code): the code is its indented lines, dedented."""
    prose, code = [], []
    for line in instead.splitlines():
        (code if code or line.startswith((" ", "\t")) else prose).append(line)
    return " ".join(" ".join(prose).split()), textwrap.dedent("\n".join(code)).strip("\n")


def modules(code: str, example: str, instead: str) -> tuple[str, str | None]:
    """The two modules of a rule: the Example (the rule fires) and the fixed one (it does not)."""
    bad, good = TEMPLATES[code]
    example = textwrap.dedent(example).strip("\n")
    instead_code = split_instead(instead)[1]
    bad_text = HEADER + "\n" + _fill(bad, "example", example)
    good_text = HEADER + "\n" + _fill(good, "instead", instead_code) if good is not None else None
    return bad_text, good_text


def _fill(template: str, slot: str, code: str) -> str:
    """Put the code at its slot, indented as the slot is (a snippet inside a builder function)."""
    match = re.search(r"^([ \t]*)\{" + slot + r"\}$", template, re.M)
    indented = textwrap.indent(code, match.group(1)).lstrip(" \t")
    return template[: match.start()] + match.group(1) + indented + template[match.end() :]
