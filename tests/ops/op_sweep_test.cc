// Every op of the table x every dtype of its samples, against PyTorch's results
// (tests/ops/reference.json). An op with no samples fails unless the table excuses it.
#include <gtest/gtest.h>

#include "tests/ops/reference.h"

namespace kiln::testing {
namespace {

class OpSweep : public ::testing::TestWithParam<const OpInfo*> {};

TEST_P(OpSweep, MatchesPyTorch) {
  const OpInfo& op = *GetParam();
  const auto entries = entries_for(op.full_name);
  if (entries.empty()) {
    ASSERT_NE(op.test_skip, nullptr) << op.full_name
                                     << " has no samples in tests/ops/samples (and no test skip)";
    GTEST_SKIP() << op.test_skip;
  }
  for (const json* ep : entries) {
    const json& e = *ep;
    const std::string what = describe(e);
    std::vector<Tensor> outs;
    std::string error;
    try {
      std::vector<IValue> args = decode_args(op, e);
      Tensor out;
      if (decode_variant(e) == OpVariant::kOut) {
        // The sample's out= dtype, else the functional result's (errors carry no "out").
        const std::string dt = e.contains("out_dtype") ? e["out_dtype"].get<std::string>()
                               : e.contains("out")     ? e["out"][0]["dtype"].get<std::string>()
                                                       : std::string("float32");
        out = empty_tensor({0}, dtype_from_name(dt));
      }
      outs = call_boxed(op.id, decode_variant(e), std::move(args), out);
    } catch (const std::exception& ex) {
      error = ex.what();
    }
    if (e.contains("error")) {
      EXPECT_FALSE(error.empty()) << what << ": PyTorch raises \"" << e["error"].get<std::string>()
                                  << "\" but Kiln returned a result";
      continue;
    }
    if (!error.empty()) {
      ADD_FAILURE() << what << ": Kiln raised: " << error;
      continue;
    }
    const json& expected = e["out"];
    ASSERT_EQ(outs.size(), expected.size()) << what << ": number of outputs";
    for (size_t i = 0; i < outs.size(); ++i) {
      if (e.contains("compare") && e["compare"][i] == "skip") continue;
      const DType dt = dtype_from_name(expected[i]["dtype"].get<std::string>());
      const std::string diff = compare(outs[i], expected[i], tolerance_for(dt, e));
      EXPECT_TRUE(diff.empty()) << what << " output " << i << ": " << diff;
    }
  }
}

std::vector<const OpInfo*> ops() {
  std::vector<const OpInfo*> v;
  for (const OpInfo& op : all_ops()) v.push_back(&op);
  return v;
}

INSTANTIATE_TEST_SUITE_P(AllOps, OpSweep, ::testing::ValuesIn(ops()),
                         [](const ::testing::TestParamInfo<const OpInfo*>& info) {
                           return std::string(info.param->full_name);
                         });

}  // namespace
}  // namespace kiln::testing
