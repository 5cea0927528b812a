// Rules of the linear-algebra ops: PyTorch's operand checks and messages, and einsum's
// equation parser (shared by the shape rule and the composite that computes it).
#include <algorithm>
#include <cctype>

#include "engine/ops/rules.h"

namespace kiln::rules {

namespace {

void check_matrix(const char* op, const Tensor& t, const char* what) {
  KILN_CHECK(t.dim() == 2, op, ": ", what, " must be a matrix");
}

void check_batch(const char* op, const Tensor& t, const char* what) {
  KILN_CHECK(t.dim() == 3, op, ": ", what, " must be a 3D tensor");
}

void check_multipliable(const char* op, int64_t n, int64_t m, int64_t k, int64_t p) {
  KILN_CHECK(m == k, op, ": mat1 and mat2 shapes cannot be multiplied (", n, "x", m, " and ", k,
             "x", p, ")");
}

// addmv / mv: self (n) + mat (n, m) @ vec (m).
void check_mv(const char* op, int64_t self_dim, int64_t self_n, const Tensor& mat,
              const Tensor& vec) {
  KILN_CHECK(mat.dim() == 2 && vec.dim() == 1 && self_dim <= 1, op,
             ": vector + matrix @ vector expected, got ", self_dim, ", ", mat.dim(), ", ",
             vec.dim());
  KILN_CHECK(mat.sizes()[1] == vec.sizes()[0] && (self_n == mat.sizes()[0] || self_n == 1), op,
             ": size mismatch, got ", self_n, ", ", mat.sizes()[0], "x", mat.sizes()[1], ",",
             vec.sizes()[0]);
}

int einsum_label(char c) { return c >= 'A' && c <= 'Z' ? c - 'A' : c - 'a' + 26; }
char einsum_char(int l) { return l < 26 ? char('A' + l) : char('a' + l - 26); }

}  // namespace

DType same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  KILN_CHECK(a.dtype() == b.dtype(), op, ": expected scalar type ", torch_type_name(a.dtype()),
             " but found ", torch_type_name(b.dtype()));
  return a.dtype();
}

DType addmm_dtype(const char* op, const Tensor& self, const Tensor& mat1, const Tensor& mat2) {
  KILN_CHECK(self.dtype() == mat2.dtype(), op, ": self and mat2 must have the same dtype");
  KILN_CHECK(mat1.dtype() == mat2.dtype(), op, ": mat1 and mat2 must have the same dtype");
  return mat2.dtype();
}

DType dot_dtype(const char* op, const Tensor& a, const Tensor& b) {
  KILN_CHECK(a.dtype() == b.dtype(), op,
             ": expected both vectors to have same dtype, but found ", torch_type_name(a.dtype()),
             " and ", torch_type_name(b.dtype()));
  return a.dtype();
}

DType matmul_dtype(const char* op, const Tensor& a, const Tensor& b) {
  return a.dim() == 1 && b.dim() == 1 ? dot_dtype(op, a, b) : same_dtype(op, a, b);
}

DType einsum_dtype(const char* op, const std::vector<Tensor>& tensors) {
  KILN_CHECK(!tensors.empty(), op, "(): must provide at least one operand");
  for (const Tensor& t : tensors) same_dtype(op, tensors[0], t);
  return tensors[0].dtype();
}

Shape mm(const char* op, const Tensor& self, const Tensor& mat2) {
  check_matrix(op, self, "self");
  check_matrix(op, mat2, "mat2");
  check_multipliable(op, self.sizes()[0], self.sizes()[1], mat2.sizes()[0], mat2.sizes()[1]);
  return {self.sizes()[0], mat2.sizes()[1]};
}

Shape bmm(const char* op, const Tensor& self, const Tensor& mat2) {
  check_batch(op, self, "batch1");
  check_batch(op, mat2, "batch2");
  const Shape& a = self.sizes();
  const Shape& b = mat2.sizes();
  KILN_CHECK(b[0] == a[0] && b[1] == a[2], op,
             ": Expected size for first two dimensions of batch2 tensor to be: [", a[0], ", ",
             a[2], "] but got: [", b[0], ", ", b[1], "].");
  return {a[0], a[1], b[2]};
}

Shape addmm(const char* op, const Tensor& self, const Tensor& mat1, const Tensor& mat2) {
  KILN_CHECK(mat1.dim() == 2, op, ": mat1 must be a matrix, got ", mat1.dim(), "-D tensor");
  KILN_CHECK(mat2.dim() == 2, op, ": mat2 must be a matrix, got ", mat2.dim(), "-D tensor");
  check_multipliable(op, mat1.sizes()[0], mat1.sizes()[1], mat2.sizes()[0], mat2.sizes()[1]);
  const Shape out{mat1.sizes()[0], mat2.sizes()[1]};
  return expand(op, self, out);
}

Shape baddbmm(const char* op, const Tensor& self, const Tensor& batch1, const Tensor& batch2) {
  return expand(op, self, bmm(op, batch1, batch2));
}

Shape mv(const char* op, const Tensor& self, const Tensor& vec) {
  check_mv(op, 1, self.dim() == 2 ? self.sizes()[0] : 1, self, vec);
  return {self.sizes()[0]};
}

Shape addmv(const char* op, const Tensor& self, const Tensor& mat, const Tensor& vec) {
  const int64_t n = self.dim() == 1 ? self.sizes()[0] : 1;
  check_mv(op, self.dim(), mat.dim() == 2 ? n : 1, mat, vec);
  return {mat.sizes()[0]};
}

Shape dot(const char* op, const Tensor& self, const Tensor& tensor) {
  KILN_CHECK(self.dim() == 1 && tensor.dim() == 1, op, ": 1D tensors expected, but got ",
             self.dim(), "D and ", tensor.dim(), "D tensors");
  const int64_t a = self.sizes()[0], b = tensor.sizes()[0];
  KILN_CHECK(a == b, op, ": inconsistent tensor size, expected tensor [", a, "] and src [", b,
             "] to have the same number of elements, but got ", a, " and ", b,
             " elements respectively");
  return {};
}

Shape outer(const char* op, const Tensor& self, const Tensor& vec2) {
  KILN_CHECK(self.dim() == 1, op, ": Expected 1-D argument self, but got ", self.dim(), "-D");
  KILN_CHECK(vec2.dim() == 1, op, ": Expected 1-D argument vec2, but got ", vec2.dim(), "-D");
  return {self.sizes()[0], vec2.sizes()[0]};
}

Shape matmul(const char* op, const Tensor& self, const Tensor& other) {
  const int64_t da = self.dim(), db = other.dim();
  KILN_CHECK(da >= 1 && db >= 1, op, ": both arguments to matmul need to be at least 1D, but they are ",
             da, "D and ", db, "D");
  const Shape& a = self.sizes();
  const Shape& b = other.sizes();
  if (da == 1 && db == 1) return dot(op, self, other);
  if (db == 1) {
    // (.., n, m) @ (m): the leading dims fold into rows, as mv.
    const int64_t rows = numel_of(Shape(a.begin(), a.end() - 1));
    KILN_CHECK(a.back() == b[0], op, ": size mismatch, got ", rows, ", ", rows, "x", a.back(),
               ",", b[0]);
    return Shape(a.begin(), a.end() - 1);
  }
  if (db == 2 && da != 2 && da != 1) {
    const int64_t rows = numel_of(Shape(a.begin(), a.end() - 1));
    check_multipliable(op, rows, a.back(), b[0], b[1]);
    Shape out(a.begin(), a.end() - 1);
    out.push_back(b[1]);
    return out;
  }
  if (db == 2) {
    const int64_t n = da == 2 ? a[0] : 1;
    check_multipliable(op, n, a.back(), b[0], b[1]);
    return da == 2 ? Shape{a[0], b[1]} : Shape{b[1]};
  }
  // Batched: the batch dims broadcast; a 1-d self is a row, dropped from the result.
  const Shape ba = da > 2 ? Shape(a.begin(), a.end() - 2) : Shape{};
  const Shape bb(b.begin(), b.end() - 2);
  const size_t nb = std::max(ba.size(), bb.size());
  Shape out(nb);
  for (size_t i = 0; i < nb; ++i) {
    const int64_t x = i + ba.size() < nb ? 1 : ba[i + ba.size() - nb];
    const int64_t y = i + bb.size() < nb ? 1 : bb[i + bb.size() - nb];
    KILN_CHECK(x == y || x == 1 || y == 1, op, ": The size of tensor a (", x,
               ") must match the size of tensor b (", y, ") at non-singleton dimension ", i);
    out[i] = x == 1 ? y : x;
  }
  const int64_t m = a.back(), k = b[db - 2];
  KILN_CHECK(m == k, op, ": Expected size for first two dimensions of batch2 tensor to be: [",
             numel_of(out), ", ", m, "] but got: [", numel_of(out), ", ", k, "].");
  if (da > 1) out.push_back(a[da - 2]);
  out.push_back(b[db - 1]);
  return out;
}

EinsumSpec einsum_spec(const char* op, const std::string& equation,
                       const std::vector<Tensor>& tensors) {
  const size_t arrow = equation.find("->");
  const std::string lhs = equation.substr(0, arrow);
  // Each operand's subscripts (an ellipsis as label -1) and the index in the equation of each.
  std::vector<std::vector<int>> terms(1);
  for (size_t i = 0; i < lhs.size(); ++i) {
    const char c = lhs[i];
    if (c == ' ') continue;
    if (c == ',') {
      terms.emplace_back();
    } else if (c == '.') {
      KILN_CHECK(lhs.compare(i, 3, "...") == 0, op, "(): found '.' for operand ",
                 terms.size() - 1, " that is not part of any ellipsis");
      KILN_CHECK(std::count(terms.back().begin(), terms.back().end(), -1) == 0, op,
                 "(): found more than one ellipsis for operand ", terms.size() - 1);
      terms.back().push_back(-1);
      i += 2;
    } else {
      KILN_CHECK(std::isalpha(static_cast<unsigned char>(c)), op,
                 "(): invalid subscript given at index ", i,
                 " in the equation string, subscripts must be in [a-zA-Z]");
      terms.back().push_back(einsum_label(c));
    }
  }
  KILN_CHECK(terms.size() <= tensors.size(), op,
             "(): fewer operands were provided than specified in the equation");
  KILN_CHECK(terms.size() >= tensors.size(), op,
             "(): more operands were provided than specified in the equation");
  // Ellipsis dims are right-aligned across operands and broadcast like a batch.
  int64_t ell = 0;
  for (size_t k = 0; k < terms.size(); ++k) {
    const int64_t nd = tensors[k].dim();
    const int64_t nl = int64_t(terms[k].size());
    const bool has_ell = std::count(terms[k].begin(), terms[k].end(), -1) > 0;
    if (has_ell) {
      KILN_CHECK(nl - 1 <= nd, op, "(): the number of subscripts in the equation (", nl - 1,
                 ") is more than the number of dimensions (", nd, ") for operand ", k);
      ell = std::max(ell, nd - (nl - 1));
    } else {
      KILN_CHECK(nl == nd, op, "(): the number of subscripts in the equation (", nl,
                 ") does not match the number of dimensions (", nd, ") for operand ", k,
                 " and no ellipsis was given");
    }
  }
  EinsumSpec spec;
  spec.sizes.assign(kEinsumLetters + ell, -1);
  std::vector<int> count(kEinsumLetters, 0);
  for (size_t k = 0; k < terms.size(); ++k) {
    const Tensor& t = tensors[k];
    std::vector<int> labels;
    for (int l : terms[k]) {
      if (l >= 0) {
        KILN_CHECK(std::find(labels.begin(), labels.end(), l) == labels.end(), op,
                   "(): subscript ", einsum_char(l), " is repeated for operand ", k,
                   " (diagonals and traces are not supported)");
        labels.push_back(l);
        ++count[l];
        continue;
      }
      const int64_t e = t.dim() - (int64_t(terms[k].size()) - 1);
      for (int64_t j = 0; j < e; ++j) labels.push_back(int(kEinsumLetters + ell - e + j));
    }
    for (int64_t d = 0; d < t.dim(); ++d) {
      const int l = labels[d];
      const int64_t s = t.sizes()[d];
      int64_t& seen = spec.sizes[l];
      if (l < kEinsumLetters) {
        KILN_CHECK(seen == -1 || seen == 1 || s == 1 || s == seen, op, "(): subscript ",
                   einsum_char(l), " has size ", s, " for operand ", k,
                   " which does not broadcast with previously seen size ", seen);
      } else {
        KILN_CHECK(seen == -1 || seen == 1 || s == 1 || s == seen, op, "(): dimension ",
                   l - kEinsumLetters, " covered by ellipsis in operand ", k, " has size ", s,
                   " which does not broadcast with previously seen ellipsis with size ", seen,
                   " for the respective dimension");
      }
      if (seen == -1 || seen == 1) seen = s;
    }
    spec.inputs.push_back(std::move(labels));
  }
  if (arrow == std::string::npos) {
    // Implicit output: the ellipsis dims, then the subscripts used once, in label order.
    for (int64_t j = 0; j < ell; ++j) spec.output.push_back(int(kEinsumLetters + j));
    for (int l = 0; l < kEinsumLetters; ++l) {
      if (count[l] == 1) spec.output.push_back(l);
    }
    return spec;
  }
  const std::string rhs = equation.substr(arrow + 2);
  bool out_ell = false;
  for (size_t i = 0; i < rhs.size(); ++i) {
    const char c = rhs[i];
    if (c == ' ') continue;
    if (c == '.') {
      KILN_CHECK(rhs.compare(i, 3, "...") == 0 && !out_ell, op,
                 "(): found '.' for output that is not part of any ellipsis");
      for (int64_t j = 0; j < ell; ++j) spec.output.push_back(int(kEinsumLetters + j));
      out_ell = true;
      i += 2;
      continue;
    }
    KILN_CHECK(std::isalpha(static_cast<unsigned char>(c)), op,
               "(): invalid subscript given at index ", arrow + 2 + i,
               " in the equation string, subscripts must be in [a-zA-Z]");
    const int l = einsum_label(c);
    KILN_CHECK(std::find(spec.output.begin(), spec.output.end(), l) == spec.output.end(), op,
               "(): output subscript ", c, " appears more than once in the output");
    KILN_CHECK(count[l] > 0, op, "(): output subscript ", c,
               " does not appear in the equation for any input operand");
    spec.output.push_back(l);
  }
  return spec;
}

Shape einsum(const char* op, const std::string& equation, const std::vector<Tensor>& tensors) {
  einsum_dtype(op, tensors);
  const EinsumSpec spec = einsum_spec(op, equation, tensors);
  Shape out;
  for (int l : spec.output) out.push_back(spec.sizes[l]);
  return out;
}

}  // namespace kiln::rules
