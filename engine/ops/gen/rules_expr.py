"""Translates the table's rule expressions (Python syntax) to C++ and to Python.

    shape: reduce(self, dim, keepdim)
      C++     rules::reduce(kOp, self, dim, keepdim)
      Python  _r.reduce(_op, self, dim, keepdim)

Calls name a rule in engine/ops/rules.h and clients/python/kiln/_rules.py; names are the op's
arguments, `compute` (the compute dtype), or a dtype (`int64`); literals pass through.
"""

import ast

from model import DTYPES, TableError, dtype_enum


def to_cpp(text, op, extra_names=()):
    node = ast.parse(str(text), mode="eval").body
    names = {a.name for a in op.args} | set(extra_names)
    return _cpp(node, op, names)


def _cpp(n, op, names):
    if isinstance(n, ast.Call):
        if not isinstance(n.func, ast.Name):
            raise TableError("%s: rule calls must name a rule" % op.full_name)
        args = ["kOp"] + [_cpp(a, op, names) for a in n.args]
        return "rules::%s(%s)" % (n.func.id, ", ".join(args))
    if isinstance(n, ast.Name):
        if n.id in names:
            return n.id
        if n.id in DTYPES:
            return "DType::k%s" % dtype_enum(n.id)
        if n.id == "None":
            return "std::nullopt"
        raise TableError("%s: unknown name %r in rule" % (op.full_name, n.id))
    if isinstance(n, ast.Constant):
        if n.value is None:
            return "std::nullopt"
        if isinstance(n.value, bool):
            return "true" if n.value else "false"
        if isinstance(n.value, str):
            return '"%s"' % n.value
        return repr(n.value)
    if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
        return "-" + _cpp(n.operand, op, names)
    if isinstance(n, (ast.List, ast.Tuple)):
        return "Shape{%s}" % ", ".join(_cpp(e, op, names) for e in n.elts)
    raise TableError("%s: unsupported rule syntax %s" % (op.full_name, ast.dump(n)))


def to_py(text, op, extra_names=()):
    node = ast.parse(str(text), mode="eval").body
    names = {a.name for a in op.args} | set(extra_names)
    return _py(node, op, names)


def _py(n, op, names):
    if isinstance(n, ast.Call):
        args = ["_op"] + [_py(a, op, names) for a in n.args]
        return "_r.%s(%s)" % (n.func.id, ", ".join(args))
    if isinstance(n, ast.Name):
        if n.id in names:
            return n.id
        if n.id in DTYPES:
            return "%r" % n.id
        if n.id == "None":
            return "None"
        raise TableError("%s: unknown name %r in rule" % (op.full_name, n.id))
    if isinstance(n, ast.Constant):
        return repr(n.value)
    if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
        return "-" + _py(n.operand, op, names)
    if isinstance(n, (ast.List, ast.Tuple)):
        return "(%s,)" % ", ".join(_py(e, op, names) for e in n.elts)
    raise TableError("%s: unsupported rule syntax %s" % (op.full_name, ast.dump(n)))
