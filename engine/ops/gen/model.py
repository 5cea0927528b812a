"""The op table's data model: reads engine/ops/table/*.yaml and checks it.

Everything op-related in Kiln is derived from the objects built here (see gen_ops.py).
"""

import ast
import hashlib
import os
import re

import yaml

# Wire ids that were used once and must never be handed out again.
RETIRED_IDS = set()

DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
DTYPE_SETS = {
    "all": DTYPES,
    "numeric": [d for d in DTYPES if d != "bool"],
    "floating": ["float16", "bfloat16", "float32", "float64"],
    "integral": ["uint8", "int8", "int32", "int64"],
    "integral_and_bool": ["bool", "uint8", "int8", "int32", "int64"],
    "none": [],
}
BACKENDS = ["cpu", "cuda"]

ARG_TYPES = {
    # schema type: (C++ parameter type, C++ storage type in a backward node, boxed kind)
    "Tensor": ("const Tensor&", None, "tensor"),
    "Tensor?": ("const Tensor&", None, "optional_tensor"),
    "Tensor[]": ("const std::vector<Tensor>&", None, "tensor_list"),
    # A list whose entries may be None (advanced indexing): undefined tensors in C++.
    "Tensor?[]": ("const std::vector<Tensor>&", None, "optional_tensor_list"),
    "int": ("int64_t", "int64_t", "int"),
    "int?": ("std::optional<int64_t>", "std::optional<int64_t>", "optional_int"),
    "int[]": ("IntList", "Shape", "int_list"),
    "int[]?": ("const std::optional<Shape>&", "std::optional<Shape>", "optional_int_list"),
    "float": ("double", "double", "float"),
    "float?": ("std::optional<double>", "std::optional<double>", "optional_float"),
    "bool": ("bool", "bool", "bool"),
    "Scalar": ("const Scalar&", "Scalar", "scalar"),
    "Scalar?": ("const std::optional<Scalar>&", "std::optional<Scalar>", "optional_scalar"),
    "ScalarType": ("DType", "DType", "dtype"),
    "ScalarType?": ("std::optional<DType>", "std::optional<DType>", "optional_dtype"),
    "Device?": ("std::optional<Device>", "std::optional<Device>", "optional_device"),
    "str": ("const std::string&", "std::string", "string"),
    "str?": ("const std::optional<std::string>&", "std::optional<std::string>", "optional_string"),
}


class TableError(Exception):
    pass


class Arg:
    def __init__(self, type_, name, default, kwonly):
        if type_ not in ARG_TYPES:
            raise TableError("unknown argument type %r for %r" % (type_, name))
        self.type = type_
        self.name = name
        self.default = default  # schema text or None
        self.kwonly = kwonly

    @property
    def is_tensor(self):
        return self.type in ("Tensor", "Tensor?")

    @property
    def is_tensor_like(self):
        return self.type in ("Tensor", "Tensor?", "Tensor[]", "Tensor?[]")

    @property
    def is_tensor_list(self):
        return self.type in ("Tensor[]", "Tensor?[]")

    @property
    def cpp_type(self):
        return ARG_TYPES[self.type][0]

    @property
    def saved_type(self):
        return ARG_TYPES[self.type][1]

    @property
    def boxed_kind(self):
        return ARG_TYPES[self.type][2]

    def cpp_default(self):
        d = self.default
        if d is None:
            return None
        if d == "None":
            return "Tensor()" if self.type in ("Tensor?",) else "std::nullopt"
        if d in ("True", "False"):
            return d.lower()
        if d.startswith("["):
            return "{" + d[1:-1] + "}"
        if d.startswith('"') or d.startswith("'"):
            return '"%s"' % d[1:-1]
        if self.type.startswith("ScalarType"):
            return "DType::k%s" % dtype_enum(d)
        return d

    def py_default(self):
        d = self.default
        if d is None:
            return None
        if d.startswith("["):
            return "(" + d[1:-1] + ("," if d[1:-1] and "," not in d else "") + ")"
        if self.type.startswith("ScalarType"):
            return repr(d)
        return d


class Ret:
    def __init__(self, type_, name):
        self.type = type_
        self.name = name


def dtype_enum(name):
    table = {
        "bool": "Bool", "uint8": "UInt8", "int8": "Int8", "int32": "Int32", "int64": "Int64",
        "float16": "Float16", "bfloat16": "BFloat16", "float32": "Float32", "float64": "Float64",
    }
    if name not in table:
        raise TableError("unknown dtype %r" % name)
    return table[name]


SIG_RE = re.compile(r"^([a-z_][a-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?\((.*)\)\s*->\s*(.+)$")


def split_top(text, sep=","):
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def parse_sig(sig):
    m = SIG_RE.match(sig.strip())
    if not m:
        raise TableError("cannot parse signature %r" % sig)
    name, overload, args_text, ret_text = m.groups()
    args, kwonly = [], False
    for part in split_top(args_text):
        if part == "*":
            kwonly = True
            continue
        default = None
        if "=" in part:
            part, default = [p.strip() for p in part.split("=", 1)]
        type_, arg_name = part.rsplit(None, 1)
        args.append(Arg(type_.strip(), arg_name, default, kwonly))
    ret_text = ret_text.strip()
    rets = []
    if ret_text.startswith("("):
        for i, part in enumerate(split_top(ret_text[1:-1])):
            bits = part.split()
            rets.append(Ret(bits[0], bits[1] if len(bits) > 1 else "result%d" % i))
    else:
        bits = ret_text.split()
        rets.append(Ret(bits[0], bits[1] if len(bits) > 1 else "result"))
    for r in rets:
        if r.type not in ("Tensor", "Tensor[]"):
            raise TableError("%s: unsupported return type %r" % (sig, r.type))
    return name, overload, args, rets


class Op:
    def __init__(self, entry, family):
        self.entry = entry
        self.family = family
        if "func" not in entry:
            raise TableError("%s: entry without func: %r" % (family, entry))
        self.sig = entry["func"]
        self.name, self.overload, self.args, self.rets = parse_sig(self.sig)
        self.full_name = self.name + ("_" + self.overload if self.overload else "")
        self.id = entry.get("id")
        if not isinstance(self.id, int) or self.id <= 0:
            raise TableError("%s: needs a positive integer id" % self.full_name)
        self.doc = entry.get("doc", "")
        self.impl = entry.get("impl", "kernel")
        if self.impl not in ("kernel", "custom", "composite"):
            raise TableError("%s: impl must be kernel, custom or composite" % self.full_name)
        variants = entry.get("variants", ["method"])
        for v in variants:
            if v not in ("method", "inplace", "out", "function_only"):
                raise TableError("%s: unknown variant %r" % (self.full_name, v))
        self.method = "method" in variants
        self.inplace = "inplace" in variants
        self.out = "out" in variants
        self.kernel_slot = self.impl == "kernel" or bool(entry.get("kernel_slot"))
        # A functional op whose name ends in "_" (fill_, copy_) writes its first argument.
        self.writes_self = self.name.endswith("_")
        self.compute = entry.get("compute")
        self.cast = entry.get("cast")  # names of inputs cast to compute (default: all tensors)
        self.dynamic = entry.get("shape") == "dynamic"
        self.shape = [] if self.dynamic else as_list(entry.get("shape"))
        dtype = entry.get("dtype")
        if dtype is None:
            dtype = "compute" if self.compute else "dtype_of(%s)" % self.first_tensor_name()
        self.dtype = as_list(dtype)
        # An op that returns nothing (`-> ()`) only updates its arguments in place.
        self.returns_nothing = not self.rets
        if self.returns_nothing:
            self.dtype = []
        if not self.dynamic and not self.returns_nothing:
            if not self.shape:
                raise TableError("%s: needs a shape rule (or shape: dynamic)" % self.full_name)
            if len(self.shape) == 1 and self.n_tensor_outputs() > 1:
                self.shape = self.shape * self.n_tensor_outputs()
            if len(self.dtype) == 1 and self.n_tensor_outputs() > 1:
                self.dtype = self.dtype * self.n_tensor_outputs()
            if len(self.shape) != self.n_tensor_outputs() and not self.returns_list():
                raise TableError("%s: %d shape rules for %d outputs"
                                 % (self.full_name, len(self.shape), self.n_tensor_outputs()))
        backends = entry.get("backends", {})
        if self.impl == "kernel" and not backends:
            raise TableError("%s: a kernel op names its backends" % self.full_name)
        self.backends = {}
        for b, dset in backends.items():
            if b not in BACKENDS:
                raise TableError("%s: unknown backend %r" % (self.full_name, b))
            self.backends[b] = resolve_dtypes(dset, self.full_name)
        self.grad = entry.get("grad") or {}
        self.not_differentiable = entry.get("not_differentiable", [])
        arg_names = [a.name for a in self.args]
        # A key may name several inputs ("input, weight, bias"): one formula returns all their
        # gradients (a std::vector<Tensor>, in the key's order), seeing `grad_input_mask`.
        self.grad_groups = []
        for k, formula in self.grad.items():
            names = [n.strip() for n in str(k).split(",")]
            for n in names:
                if n not in arg_names:
                    raise TableError("%s: grad for unknown argument %r" % (self.full_name, n))
                if not self.arg(n).is_tensor_like:
                    raise TableError("%s: grad for non-tensor argument %r" % (self.full_name, n))
                if len(names) > 1 and self.arg(n).is_tensor_list:
                    raise TableError("%s: a grouped gradient cannot include a list" % self.full_name)
            self.grad_groups.append((names, str(formula).strip()))
        grad_names = {n for names, _ in self.grad_groups for n in names}
        # Inputs gradients flow to: the grad keys, or (composites) the `differentiable` list.
        self.diff_inputs = [a.name for a in self.args if a.name in grad_names] or \
            list(entry.get("differentiable", []))
        for k in self.diff_inputs:
            self.arg(k)
        self.test = entry.get("test") or {}
        # torch.autocast's cast policy (engine/autograd/autocast.h): lower, fp32 or promote.
        self.autocast = entry.get("autocast")
        if self.autocast not in (None, "lower", "fp32", "promote"):
            raise TableError("%s: unknown autocast policy %r" % (self.full_name, self.autocast))
        if self.autocast and self.impl == "composite":
            raise TableError("%s: autocast applies to kernel and custom ops (a composite's "
                             "inner ops cast themselves)" % self.full_name)
        # no_grad: the op updates tensors under torch.no_grad() semantics (optimizer steps,
        # gradient clipping): never recorded for backward, and its in-place writes to leaves
        # that require grad are allowed. An op that returns nothing must be one.
        self.no_grad = bool(entry.get("no_grad"))
        if self.returns_nothing and not self.no_grad:
            raise TableError("%s returns nothing, so it updates its arguments: it needs no_grad: true"
                             % self.full_name)
        if self.returns_nothing and (self.shape or entry.get("dtype")):
            raise TableError("%s returns nothing: it takes no shape or dtype rule" % self.full_name)
        if self.no_grad and (self.grad or self.diff_inputs or self.inplace or self.out):
            raise TableError("%s: a no_grad op has no gradient and no inplace/out variants"
                             % self.full_name)
        self.client = entry.get("client") or {}
        if self.inplace and self.returns_list():
            raise TableError("%s: in-place variants need one Tensor output" % self.full_name)
        if (self.inplace or self.out) and (self.impl != "kernel" or self.dynamic
                                           or self.n_tensor_outputs() != 1):
            if not entry.get("variants_custom"):
                raise TableError("%s: generated inplace/out variants need a one-output kernel op"
                                 % self.full_name)

    def arg(self, name):
        for a in self.args:
            if a.name == name:
                return a
        raise TableError("%s: no argument %r" % (self.full_name, name))

    def first_tensor_name(self):
        for a in self.args:
            if a.is_tensor_like:
                return a.name
        return None

    def tensor_args(self):
        return [a for a in self.args if a.is_tensor_like]

    def n_tensor_outputs(self):
        return len(self.rets)

    def returns_list(self):
        return len(self.rets) == 1 and self.rets[0].type == "Tensor[]"

    @property
    def differentiable(self):
        return bool(self.grad)

    def cpp_params(self, with_defaults=True, skip_self=False):
        out = []
        for a in self.args:
            p = "%s %s" % (a.cpp_type, a.name)
            d = a.cpp_default()
            if with_defaults and d is not None:
                p += " = " + d
            out.append(p)
        return ", ".join(out)

    def arg_names(self):
        return ", ".join(a.name for a in self.args)

    def cpp_return(self):
        if self.returns_nothing:
            return "void"
        if self.returns_list():
            return "std::vector<Tensor>"
        if len(self.rets) == 1:
            return "Tensor"
        return "std::tuple<%s>" % ", ".join("Tensor" for _ in self.rets)


def as_list(v):
    if v is None:
        return []
    return list(v) if isinstance(v, list) else [v]


def resolve_dtypes(dset, where):
    if isinstance(dset, str):
        if dset not in DTYPE_SETS:
            raise TableError("%s: unknown dtype set %r" % (where, dset))
        return list(DTYPE_SETS[dset])
    for d in dset:
        if d not in DTYPES:
            raise TableError("%s: unknown dtype %r" % (where, d))
    return list(dset)


def load(table_dir):
    ops, families = [], []
    for fname in sorted(os.listdir(table_dir)):
        if not fname.endswith(".yaml"):
            continue
        family = fname[:-5]
        families.append(family)
        with open(os.path.join(table_dir, fname)) as f:
            entries = yaml.safe_load(f) or []
        for e in entries:
            try:
                ops.append(Op(e, family))
            except TableError:
                raise
            except Exception as ex:  # give the entry's name with any parse failure
                raise TableError("%s: %r: %s" % (fname, e.get("func"), ex))
    seen_ids, seen_names = {}, {}
    for op in ops:
        if op.id in RETIRED_IDS:
            raise TableError("%s: id %d is retired" % (op.full_name, op.id))
        if op.id in seen_ids:
            raise TableError("%s and %s share id %d" % (op.full_name, seen_ids[op.id], op.id))
        seen_ids[op.id] = op.full_name
        if op.full_name in seen_names:
            raise TableError("%s is declared twice" % op.full_name)
        seen_names[op.full_name] = op
    for op in ops:
        for e in op.shape + op.dtype + ([op.compute] if op.compute else []):
            check_expr(op, e)
    return ops, families


def table_hash(table_dir):
    h = hashlib.sha256()
    for fname in sorted(os.listdir(table_dir)):
        if fname.endswith(".yaml"):
            with open(os.path.join(table_dir, fname), "rb") as f:
                h.update(fname.encode() + b"\0" + f.read())
    return h.hexdigest()[:16]


def check_expr(op, text):
    try:
        ast.parse(str(text), mode="eval")
    except SyntaxError as ex:
        raise TableError("%s: bad rule expression %r: %s" % (op.full_name, text, ex))
