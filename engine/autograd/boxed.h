// Calling any op of the table from boxed arguments: the server turns a wire op into
// (OpId, variant, args) and calls boxed_fn(id, variant)(args) without naming the op.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/ops/ivalue.h"
#include "engine/ops/op_id.h"
#include "engine/ops/op_info.h"

namespace kiln {

enum class OpVariant : uint8_t { kFunctional = 0, kInplace = 1, kOut = 2 };

// The arguments of one call, with typed getters that check what the client sent and name
// the op and the parameter when it is wrong. A missing trailing argument takes the
// parameter's default from the table (the getter is told by its caller).
class BoxedArgs {
 public:
  BoxedArgs(const OpInfo& op, std::vector<IValue> args, Tensor out = Tensor());

  Tensor tensor(size_t i, const char* name);
  Tensor optional_tensor(size_t i, const char* name);
  std::vector<Tensor> tensor_list(size_t i, const char* name);
  // Entries may be None (undefined tensors): advanced indexing's `x[idx, :, mask]`.
  std::vector<Tensor> optional_tensor_list(size_t i, const char* name);
  int64_t int_(size_t i, const char* name);
  std::optional<int64_t> optional_int(size_t i, const char* name);
  Shape int_list(size_t i, const char* name);
  std::optional<Shape> optional_int_list(size_t i, const char* name);
  double float_(size_t i, const char* name);
  std::optional<double> optional_float(size_t i, const char* name);
  bool bool_(size_t i, const char* name);
  Scalar scalar(size_t i, const char* name);
  std::optional<Scalar> optional_scalar(size_t i, const char* name);
  DType dtype(size_t i, const char* name);
  std::optional<DType> optional_dtype(size_t i, const char* name);
  std::optional<Device> optional_device(size_t i, const char* name);
  std::string string(size_t i, const char* name);
  std::optional<std::string> optional_string(size_t i, const char* name);
  const Tensor& out() const { return out_; }

 private:
  // The value for parameter i: what was sent, or the table's default parsed.
  const IValue& get(size_t i, const char* name);
  [[noreturn]] void bad(size_t i, const char* name, const char* expected);

  const OpInfo& op_;
  std::vector<IValue> args_;
  std::vector<IValue> defaults_;
  Tensor out_;
};

using BoxedFn = std::vector<Tensor> (*)(BoxedArgs& args);

// The boxed entry point of an op variant, or nullptr when the op has no such variant.
BoxedFn boxed_fn(OpId id, OpVariant variant);

// Calls op `id` with boxed args: the whole path a wire op takes.
std::vector<Tensor> call_boxed(OpId id, OpVariant variant, std::vector<IValue> args,
                               Tensor out = Tensor());

// Parses a default as the table writes it ("None", "1", "[0, 1]", "True", "'mean'", "-1").
IValue parse_default(const char* schema_type, const char* text);

}  // namespace kiln
