"""Random functional Keras models from a seed (`generate(seed)` -> Spec).

The generator tracks a rough picture of each tensor (rank, layout, channels, whether its
sizes are declared) only to pick ops that usually build at the declared size; whether and
where a merge fails is Keras' to say (oracle.py). It leans towards what breaks real models:
a branch that goes down and up again beside its origin (odd sizes, multiples of 2^k), valid
padding and crops beside same padding, transposed convolutions, rank-different merges (a
vector over a map, which under channels_first lines up with W), skip connections across
resolutions and between two inputs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Optional

from .spec import MERGE_LAYERS, In, Op, Spec

CF, CL = "channels_first", "channels_last"


@dataclass
class Meta:
    n: int  # spatial axes (0: a vector (batch, features))
    layout: str
    ch: Optional[int]
    fixed: bool  # every spatial size declared
    reusable: bool = True
    size: int = 32  # the smallest spatial size at the declared size (32 for None): to keep layers buildable


class Gen:
    def __init__(self, seed: int, max_ops: int = 12) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.max_ops = max_ops
        self.spec = Spec(seed, [])
        self.meta: list[Meta] = []
        self.helpers = 0

    # -- tensors ------------------------------------------------------------------------
    def add(self, op: Op, meta: Meta) -> int:
        """Append op; an op that would leave no size at the declared one is dropped (its input
        is returned instead)."""
        sizes = [self.meta[t].size for t in op.inputs]
        meta.size = approx_size(op, min(sizes) if sizes else 32) if meta.n else 0
        if meta.n and meta.size < 1:
            return op.inputs[0]
        self.spec.ops.append(op)
        self.meta.append(meta)
        return len(self.meta) - 1

    def pick(self, want=None, recent: float = 0.55) -> Optional[int]:
        pool = [t for t, m in enumerate(self.meta) if m.reusable and (want is None or want(m))]
        if not pool:
            return None
        if self.rng.random() < recent:
            return pool[-1]
        return self.rng.choice(pool)

    def fmt(self, m: Meta) -> dict:
        return {"data_format": CF} if m.layout == CF else ({"data_format": CL} if self.rng.random() < 0.1 else {})

    @staticmethod
    def nofmt1(m: Meta, fkw: dict) -> dict:
        """UpSampling1D and Cropping1D have no data_format."""
        return {} if m.n == 1 else fkw

    def ch_axis(self, m: Meta) -> int:
        return 1 if (m.layout == CF and m.n) else -1

    # -- inputs --------------------------------------------------------------------------
    def inputs(self) -> None:
        r = self.rng
        n = r.choices([1, 2, 3], [0.3, 0.5, 0.2])[0]
        layout = CF if r.random() < 0.3 else CL
        mode = r.choices(["none", "fixed", "mixed"], [0.6, 0.3, 0.1])[0]
        high = 20 if n == 3 else 40
        sizes = []
        for k in range(n):
            fixed = mode == "fixed" or (mode == "mixed" and k == 0)
            sizes.append(r.randint(4, high) if fixed else None)
        ch = r.choice([1, 2, 3, 4, 8])
        self.add_input(n, layout, sizes, ch)
        if r.random() < 0.3:  # a second input
            if r.random() < 0.7:
                sizes2 = [
                    None if s is None or r.random() < 0.3 else (s if r.random() < 0.6 else r.randint(4, high))
                    for s in sizes
                ]
                self.add_input(n, layout, sizes2, r.choice([ch, ch, 4, 8]))
            else:
                self.add_input(0, CL, [], r.choice([ch, 4, 8]))

    def add_input(self, n: int, layout: str, sizes: list, ch: int) -> None:
        shape = (ch,) + tuple(sizes) if layout == CF and n else tuple(sizes) + (ch,)
        self.spec.inputs.append(In(shape, layout if n else CL))
        known = [x for x in sizes if x is not None]
        self.meta.append(
            Meta(n, layout if n else CL, ch, all(s is not None for s in sizes), size=min(known, default=32))
        )

    # -- one step ------------------------------------------------------------------------
    def step(self) -> None:
        r = self.rng
        choice = r.choices(
            ["layer", "resample", "merge", "se", "block", "nested", "reshape", "ops", "attention", "vector"],
            [30, 16, 14, 5, 4, 4, 6, 8, 4, 5],
        )[0]
        getattr(self, "do_" + choice)()

    def do_layer(self, t: Optional[int] = None) -> Optional[int]:
        r = self.rng
        t = self.pick(lambda m: m.n > 0) if t is None else t
        if t is None:
            return self.do_vector()
        m = self.meta[t]
        n, fkw = m.n, self.fmt(m)
        kind = r.choices(
            ["conv", "depthwise", "separable", "transpose", "pool", "up", "pad", "crop", "global", "dense", "norm"],
            [20, 5, 5, 7, 10, 6, 5, 5, 5, 4, 4],
        )[0]
        if kind in ("depthwise", "separable") and n == 3:
            kind = "conv"
        if kind == "dense" and m.layout == CF:
            kind = "norm"
        if kind == "conv":
            k = r.choice([1, 2, 3, 3, 5])
            pads = ["same", "valid"] + (["causal"] if n == 1 and m.layout == CL else [])
            kw = {"padding": r.choice(pads)}
            if r.random() < 0.35:
                kw["strides"] = r.choice([2, 2, 3])
            elif r.random() < 0.2:
                kw["dilation_rate"] = 2
            filters = r.choice([m.ch or 4, 4, 8, 16])
            return self.add(
                Op("layer", {"cls": f"Conv{n}D", "pos": [filters, k], "kw": {**kw, **fkw}}, [t]),
                Meta(n, m.layout, filters, m.fixed),
            )
        if kind in ("depthwise", "separable"):
            k = r.choice([1, 3, 3])
            kw = {"padding": r.choice(["same", "valid"])}
            if r.random() < 0.35:
                kw["strides"] = 2
            if kind == "depthwise":
                mult = r.choice([1, 1, 2])
                if mult > 1:
                    kw["depth_multiplier"] = mult
                return self.add(
                    Op("layer", {"cls": f"DepthwiseConv{n}D", "pos": [k], "kw": {**kw, **fkw}}, [t]),
                    Meta(n, m.layout, (m.ch or 1) * mult, m.fixed),
                )
            filters = r.choice([4, 8])
            return self.add(
                Op("layer", {"cls": f"SeparableConv{n}D", "pos": [filters, k], "kw": {**kw, **fkw}}, [t]),
                Meta(n, m.layout, filters, m.fixed),
            )
        if kind == "transpose":
            k = r.choice([1, 2, 3, 4])
            kw = {"strides": r.choice([1, 2, 2, 3]), "padding": r.choice(["same", "valid"])}
            if r.random() < 0.15 and kw["strides"] > 1:
                kw["output_padding"] = r.randrange(kw["strides"])
            filters = r.choice([m.ch or 4, 8])
            return self.add(
                Op("layer", {"cls": f"Conv{n}DTranspose", "pos": [filters, k], "kw": {**kw, **fkw}}, [t]),
                Meta(n, m.layout, filters, m.fixed),
            )
        if kind == "pool":
            cls = r.choice(["MaxPooling", "AveragePooling"]) + f"{n}D"
            kw = {"pool_size": r.choice([2, 2, 3]), "padding": r.choice(["valid", "same"])}
            if r.random() < 0.3:
                kw["strides"] = r.choice([1, 2])
            return self.add(Op("layer", {"cls": cls, "kw": {**kw, **fkw}}, [t]), Meta(n, m.layout, m.ch, m.fixed))
        if kind == "up" and n == 1 and m.layout == CF:
            kind = "transpose"
        if kind == "crop" and n == 1 and m.layout == CF:
            kind = "pad"
        if kind == "up":
            return self.add(
                Op("layer", {"cls": f"UpSampling{n}D", "pos": [r.choice([2, 2, 3])], "kw": self.nofmt1(m, fkw)}, [t]),
                Meta(n, m.layout, m.ch, m.fixed),
            )
        if kind in ("pad", "crop"):
            amounts = [(r.randint(0, 2), r.randint(0, 2)) for _ in range(n)]
            value = amounts[0] if n == 1 else tuple(amounts)
            if r.random() < 0.4:
                value = r.randint(1, 2)
            cls = ("ZeroPadding" if kind == "pad" else "Cropping") + f"{n}D"
            kw = self.nofmt1(m, fkw) if kind == "crop" else fkw
            return self.add(Op("layer", {"cls": cls, "pos": [value], "kw": kw}, [t]), Meta(n, m.layout, m.ch, m.fixed))
        if kind == "global":
            cls = r.choice(["GlobalAveragePooling", "GlobalMaxPooling"]) + f"{n}D"
            keep = r.random() < 0.5
            kw = {**fkw, "keepdims": True} if keep else fkw
            return self.add(
                Op("layer", {"cls": cls, "kw": kw}, [t]),
                Meta(n if keep else 0, m.layout if keep else CL, m.ch, True if not keep else m.fixed),
            )
        if kind == "dense":
            units = r.choice([m.ch or 4, 4, 8])
            return self.add(Op("layer", {"cls": "Dense", "pos": [units]}, [t]), Meta(n, m.layout, units, m.fixed))
        cls = r.choice(["BatchNormalization", "Activation", "LayerNormalization"])
        kw = {"axis": self.ch_axis(m)} if cls != "Activation" else {}
        pos = ["relu"] if cls == "Activation" else []
        return self.add(Op("layer", {"cls": cls, "pos": pos, "kw": kw}, [t]), Meta(n, m.layout, m.ch, m.fixed))

    def down(self, t: int) -> int:
        r = self.rng
        m = self.meta[t]
        n, fkw = m.n, self.fmt(m)
        kind = r.choice(["conv", "pool", "pool", "valid"])
        if kind == "conv":
            k = r.choice([1, 3])
            op = Op(
                "layer",
                {
                    "cls": f"Conv{n}D",
                    "pos": [m.ch or 4, k],
                    "kw": {"strides": 2, "padding": r.choice(["same", "same", "valid"]), **fkw},
                },
                [t],
            )
        elif kind == "pool":
            op = Op(
                "layer",
                {
                    "cls": r.choice(["MaxPooling", "AveragePooling"]) + f"{n}D",
                    "kw": {"pool_size": 2, **({"padding": "same"} if r.random() < 0.3 else {}), **fkw},
                },
                [t],
            )
        else:
            op = Op("layer", {"cls": f"Conv{n}D", "pos": [m.ch or 4, 3], "kw": {"padding": "valid", **fkw}}, [t])
        return self.add(op, Meta(n, m.layout, m.ch, m.fixed))

    def up(self, t: int, down_kind_valid: bool = False) -> int:
        r = self.rng
        m = self.meta[t]
        n, fkw = m.n, self.fmt(m)
        kind = r.choice(["up", "up", "transpose", "pad"]) if not down_kind_valid else "pad"
        if kind == "up" and n == 1 and m.layout == CF:
            kind = "transpose"
        if kind == "up":
            op = Op("layer", {"cls": f"UpSampling{n}D", "pos": [2], "kw": self.nofmt1(m, fkw)}, [t])
        elif kind == "transpose":
            op = Op(
                "layer",
                {
                    "cls": f"Conv{n}DTranspose",
                    "pos": [m.ch or 4, r.choice([2, 3])],
                    "kw": {"strides": 2, "padding": r.choice(["same", "valid"]), **fkw},
                },
                [t],
            )
        else:
            op = Op("layer", {"cls": f"ZeroPadding{n}D", "pos": [1], "kw": fkw}, [t])
        return self.add(op, Meta(n, m.layout, m.ch, m.fixed))

    def do_resample(self) -> None:
        """Down and up again (or valid and padded), then merged with where it started."""
        r = self.rng
        t = self.pick(lambda m: m.n > 0)
        if t is None:
            return
        x = t
        levels = r.choice([1, 1, 2, 3])
        for _ in range(levels):
            x = self.down(x)
        if r.random() < 0.4:
            mid = self.do_layer(x)
            x = mid if mid is not None and self.meta[mid].n == self.meta[t].n else x  # not a vector now
        for _ in range(levels if r.random() < 0.85 else max(1, levels - 1)):
            x = self.up(x)
        self.merge_pair(x, t)

    def merge_pair(self, a: int, b: int, kind: Optional[str] = None) -> Optional[int]:
        r = self.rng
        ma, mb = self.meta[a], self.meta[b]
        kind = kind or r.choices(["layer", "binop", "opmerge"], [70, 20, 10])[0]
        if kind == "layer":
            cls = r.choice(MERGE_LAYERS + ["Concatenate", "Add", "Add"])
        elif kind == "binop":
            cls = r.choice(["+", "+", "-", "*"])
        else:
            cls = r.choice(["concatenate", "add", "multiply"])
        concat = cls in ("Concatenate", "concatenate")
        if not concat and ma.ch != mb.ch and r.random() < 0.75 and mb.ch is not None and ma.ch is not None:
            b = self.project(b, ma.ch)  # mostly projected to the same channels
            mb = self.meta[b]
        if kind == "layer":
            kw = {}
            if concat:
                kw["axis"] = self.ch_axis(ma) if r.random() < 0.8 else r.choice([1, -2] if ma.n else [-1])
            op = Op("merge", {"cls": cls, "kw": kw}, [a, b])
        elif kind == "binop":
            op = Op("binop", {"sym": cls}, [a, b])
        else:
            op = Op("opmerge", {"fn": cls, "axis": self.ch_axis(ma)} if concat else {"fn": cls}, [a, b])
        n = max(ma.n, mb.n)
        base = ma if ma.n >= mb.n else mb
        ch = (ma.ch or 0) + (mb.ch or 0) if concat else max(ma.ch or 0, mb.ch or 0) or None
        return self.add(op, Meta(n, base.layout, ch, ma.fixed and mb.fixed))

    def project(self, t: int, ch: int) -> int:
        m = self.meta[t]
        if m.n == 0:
            return self.add(Op("layer", {"cls": "Dense", "pos": [ch]}, [t]), Meta(0, CL, ch, True))
        return self.add(
            Op("layer", {"cls": f"Conv{m.n}D", "pos": [ch, 1], "kw": self.fmt(m)}, [t]),
            Meta(m.n, m.layout, ch, m.fixed),
        )

    def do_merge(self) -> None:
        r = self.rng
        a = self.pick()
        if a is None:
            return
        ma = self.meta[a]
        same = r.random() < 0.8
        b = self.pick(lambda m: (m.n == ma.n and m.layout == ma.layout) if same else True, recent=0.2)
        if b is None or b == a and r.random() < 0.7:
            b = self.pick(recent=0.0)
        if b is None:
            return
        if r.random() < 0.1 and ma.n == 0 and self.meta[b].n == 0:  # a Dot of two vectors
            mb = self.meta[b]
            if ma.ch != mb.ch and r.random() < 0.6:
                b = self.project(b, ma.ch)
            self.add(Op("merge", {"cls": "Dot", "kw": {"axes": 1}}, [a, b]), Meta(0, CL, 1, True))
            return
        self.merge_pair(a, b)

    def do_se(self) -> None:
        r = self.rng
        t = self.pick(lambda m: m.n > 0)
        if t is None:
            return
        m = self.meta[t]
        pool = r.choice(["GlobalAveragePooling", "GlobalMaxPooling"]) + f"{m.n}D"
        args = {"pool": pool}
        if m.layout == CF:
            args["fmt"] = CF
        elif r.random() < 0.8:
            args["units"] = m.ch if r.random() < 0.8 else r.choice([2, 4, 8])
        self.add(Op("se", args, [t]), Meta(m.n, m.layout, m.ch, m.fixed))

    def _helper_args(self, m: Meta) -> dict:
        r = self.rng
        self.helpers += 1
        filters = m.ch if r.random() < 0.8 else r.choice([2, 4, 8])
        merge = r.choice(["Add", "Add", "Multiply", "Concatenate", "Subtract"])
        return {
            "n": m.n,
            "filters": filters,
            "k": r.choice([1, 3]),
            "pad": r.choice(["same", "same", "valid"]),
            "down": (r.choice(["MaxPooling", "AveragePooling"]) + f"{m.n}D")
            if r.random() < 0.6 and not (m.n == 1 and m.layout == CF)
            else None,
            "fmt": CF if m.layout == CF else None,
            "merge": merge,
        }

    def do_block(self) -> None:
        self._helper("block", lambda k: {"cls_name": f"Block{k}", "name": f"Block{k}()"})

    def do_nested(self) -> None:
        self._helper("nested", lambda k: {"name": f"nested_{k}"})

    def _helper(self, kind: str, names) -> None:
        """A custom Layer (`block`) or a nested model (`nested`) holding a conv and a merge."""
        t = self.pick(lambda m: m.n > 0)
        if t is None:
            return
        m = self.meta[t]
        args = self._helper_args(m)
        args.update(names(self.helpers))
        ch = m.ch + args["filters"] if args["merge"] == "Concatenate" else m.ch
        self.add(Op(kind, args, [t]), Meta(m.n, m.layout, ch, m.fixed))

    def do_reshape(self) -> None:
        r = self.rng
        t = self.pick(lambda m: m.n > 0)
        if t is None:
            return
        m = self.meta[t]
        choice = r.choice(["permute", "flatten", "to_seq", "transpose", "lambda", "getitem"])
        if choice == "permute" and m.n >= 2:
            dims = list(range(1, m.n + 2))
            spatial = [d for d in dims if d != (1 if m.layout == CF else m.n + 1)]
            i, j = r.sample(range(len(spatial)), 2)
            perm = dims[:]
            a, b = dims.index(spatial[i]), dims.index(spatial[j])
            perm[a], perm[b] = perm[b], perm[a]
            self.add(Op("layer", {"cls": "Permute", "pos": [tuple(perm)]}, [t]), Meta(m.n, m.layout, m.ch, m.fixed))
        elif choice == "transpose" and m.n >= 2:
            axes = list(range(m.n + 2))
            spatial = list(range(2, m.n + 2)) if m.layout == CF else list(range(1, m.n + 1))
            i, j = r.sample(spatial, 2)
            axes[i], axes[j] = axes[j], axes[i]
            self.add(Op("opcall", {"fn": "transpose", "pos": [tuple(axes)]}, [t]), Meta(m.n, m.layout, m.ch, m.fixed))
        elif choice == "flatten" and m.fixed:
            f = self.add(Op("layer", {"cls": "Flatten"}, [t]), Meta(0, CL, None, True))
            self.add(Op("layer", {"cls": "Dense", "pos": [r.choice([4, 8, m.ch or 4])]}, [f]), Meta(0, CL, 8, True))
        elif choice == "to_seq" and m.layout == CL and m.n >= 2 and m.ch:
            if r.random() < 0.5:
                self.add(Op("layer", {"cls": "Reshape", "pos": [(-1, m.ch)]}, [t]), Meta(1, CL, m.ch, m.fixed))
            else:
                self.add(
                    Op(
                        "opcall",
                        {"fn": "reshape", "pos": [(-1, (m.ch or 1) * 2, m.ch // 2 if m.ch % 2 == 0 else m.ch)]},
                        [t],
                    ),
                    Meta(0, CL, None, False, reusable=False),
                )
        elif choice == "lambda":
            key = r.choice(
                [":, ::2", ":, 1:", ":, :-1"] + ([f"..., :{max(1, m.ch // 2)}"] if m.layout == CL and m.ch else [])
            )
            ch = max(1, m.ch // 2) if key.startswith("...") else m.ch
            if m.layout == CF and not key.startswith("..."):
                key = ":, :, " + key[3:]
            self.add(Op("lambda", {"key": key}, [t]), Meta(m.n, m.layout, ch, m.fixed))
        else:
            key = r.choice([":, ::2", ":, 1:", ":, :-2", ":, 1::2"])
            if m.layout == CF:
                key = ":, :, " + key[3:]
            self.add(Op("getitem", {"key": key}, [t]), Meta(m.n, m.layout, m.ch, m.fixed))

    def do_ops(self) -> None:
        r = self.rng
        t = self.pick(lambda m: m.n > 0)
        if t is None:
            return
        m = self.meta[t]
        spatial = tuple(range(2, m.n + 2)) if m.layout == CF else tuple(range(1, m.n + 1))
        choice = r.choice(["mean", "max", "scale", "relu", "mean_nokeep"])
        if choice in ("mean", "max"):
            axis = spatial if r.random() < 0.7 else (r.choice(spatial),)
            keep_n = m.n
            self.add(
                Op("opcall", {"fn": choice, "kw": {"axis": axis, "keepdims": True}}, [t]),
                Meta(keep_n, m.layout, m.ch, m.fixed if len(axis) < m.n else True),
            )
        elif choice == "mean_nokeep":
            self.add(Op("opcall", {"fn": "mean", "kw": {"axis": spatial}}, [t]), Meta(0, CL, m.ch, True))
        elif choice == "scale":
            self.add(Op("scale", {"factor": 0.5}, [t]), Meta(m.n, m.layout, m.ch, m.fixed))
        else:
            self.add(Op("opcall", {"fn": "relu"}, [t]), Meta(m.n, m.layout, m.ch, m.fixed))

    def do_attention(self) -> None:
        r = self.rng
        q = self.pick(lambda m: m.n == 1 and m.layout == CL and m.ch)
        if q is None:
            t = self.pick(lambda m: m.n >= 2 and m.layout == CL and m.ch)
            if t is None:
                return
            m = self.meta[t]
            q = self.add(Op("layer", {"cls": "Reshape", "pos": [(-1, m.ch)]}, [t]), Meta(1, CL, m.ch, m.fixed))
        v = self.pick(lambda m: m.n == 1 and m.layout == CL and m.ch, recent=0.3)
        mq = self.meta[q]
        if r.random() < 0.6:
            self.add(
                Op("mha", {"heads": r.choice([1, 2]), "key_dim": r.choice([2, 4])}, [q, v]),
                Meta(1, CL, mq.ch, mq.fixed),
            )
        else:  # a Dot over the sequences: (batch, Lq, Lv) attention scores
            mv = self.meta[v]
            if mv.ch != mq.ch and r.random() < 0.7:
                v = self.project(v, mq.ch)
            axes = r.choice([[2, 2], [1, 1]])
            self.add(
                Op("merge", {"cls": "Dot", "kw": {"axes": axes}}, [q, v]), Meta(1, CL, None, False, reusable=False)
            )

    def do_vector(self) -> Optional[int]:
        r = self.rng
        t = self.pick(lambda m: m.n == 0 and m.ch)
        if t is None:
            src = self.pick(lambda m: m.n > 0)
            if src is None:
                return None
            m = self.meta[src]
            cls = r.choice(["GlobalAveragePooling", "GlobalMaxPooling"]) + f"{m.n}D"
            kw = {"data_format": CF} if m.layout == CF else {}
            t = self.add(Op("layer", {"cls": cls, "kw": kw}, [src]), Meta(0, CL, m.ch, True))
        m = self.meta[t]
        choice = r.choice(["dense", "merge_map", "merge_map", "repeat"])
        if choice == "dense":
            return self.add(
                Op("layer", {"cls": "Dense", "pos": [r.choice([m.ch, 4, 8])]}, [t]), Meta(0, CL, None, True)
            )
        if choice == "repeat":
            return self.add(
                Op("layer", {"cls": "RepeatVector", "pos": [r.choice([4, 8, 16])]}, [t]), Meta(1, CL, m.ch, True)
            )
        other = self.pick(lambda mm: mm.n > 0, recent=0.3)
        if other is None:
            return None
        # a vector over a map: rank-different broadcast (lines up with the last axis)
        kind = r.choices(["layer", "binop"], [60, 40])[0]
        return self.merge_pair(other, t, kind)

    def run(self) -> Spec:
        self.inputs()
        r = self.rng
        target = r.randint(3, self.max_ops)
        steps = 0
        while len(self.spec.ops) < target and steps < 40:
            self.step()
            steps += 1
        if not any(op.is_merge for op in self.spec.ops):
            self.do_resample()
        if len(self.spec.inputs) > 1:  # the second input takes part
            second = len(self.spec.inputs) - 1
            if not any(second in op.inputs for op in self.spec.ops):
                a = self.pick(lambda m: m.n == self.meta[second].n and m.layout == self.meta[second].layout)
                if a is not None and a != second:
                    self.merge_pair(a, second)
        return self.spec


def approx_size(op: Op, s: int) -> int:
    """Roughly the smallest spatial size after `op` on an input whose smallest is `s`."""
    a = op.args
    kw = a.get("kw") or {}
    cls = a.get("cls", "")
    if op.kind == "layer":
        stride = kw.get("strides", 1)
        stride = stride[0] if isinstance(stride, (list, tuple)) else stride
        if "Transpose" in cls:
            return s * stride
        if cls.startswith(("Conv", "SeparableConv", "DepthwiseConv")):
            k = a["pos"][0] if cls.startswith("Depthwise") else a["pos"][1]
            eff = (k - 1) * kw.get("dilation_rate", 1) + 1
            return -(-s // stride) if kw.get("padding") in ("same", "causal") else (s - eff) // stride + 1
        if "Pooling" in cls and not cls.startswith("Global"):
            p = kw.get("pool_size", 2)
            stride = kw.get("strides") or p
            return -(-s // stride) if kw.get("padding") == "same" else (s - p) // stride + 1
        if cls.startswith("Global"):
            return 1
        if cls.startswith("UpSampling"):
            return s * a["pos"][0]
        if cls.startswith("Cropping"):
            return s - 4
    if op.kind in ("getitem", "lambda"):
        key = a["key"]
        return -(-s // 2) if "::2" in key else s - 2 if ("1:" in key or ":-" in key) else s
    if op.kind == "opcall" and op.args["fn"] in ("mean", "max"):
        return 1
    if op.kind in ("nested", "block"):
        return s if not a.get("pad") == "valid" else s - 2
    return s


def generate(seed: int, max_ops: int = 12) -> Spec:
    """The spec of seed `seed`. Tensor ids: `Gen.meta` is inputs then ops, as in Spec."""
    gen = Gen(seed, max_ops)
    spec = gen.run()
    return _renumber(spec)


def _renumber(spec: Spec) -> Spec:
    """Gen appends inputs to meta before ops, so its tensor ids already match Spec's."""
    return spec
