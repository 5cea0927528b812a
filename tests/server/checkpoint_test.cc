// The safetensors header parser/writer and checkpoint files (atomic write, read back, path
// confinement), without gRPC.
#include "server/checkpoint.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "server/safetensors.h"

namespace kiln::server {
namespace {

namespace fs = std::filesystem;

std::string parse_error(const std::string& json, uint64_t data_len) {
  try {
    parse_safetensors_header(json, data_len, 100);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Safetensors, HeaderRoundTrips) {
  SafetensorsEntry a{"w\"eird\n", "F32", DType::kFloat32, {2, 3}, 0, 24};
  SafetensorsEntry b{"s", "I64", DType::kInt64, {}, 24, 32};
  SafetensorsEntry c{"e", "BF16", DType::kBFloat16, {0, 4}, 32, 32};
  const std::string h = make_safetensors_header({a, b, c}, {{"k", "v\u00e9"}});
  uint64_t n = 0;
  std::memcpy(&n, h.data(), 8);
  ASSERT_EQ(n + 8, h.size());
  EXPECT_EQ(h.size() % 8, 0u);
  const auto p = parse_safetensors_header(h.substr(8), 32, 10);
  ASSERT_EQ(p.entries.size(), 3u);
  EXPECT_EQ(p.entries[0].name, a.name);
  EXPECT_EQ(p.entries[0].shape, (Shape{2, 3}));
  EXPECT_EQ(p.entries[2].dtype, DType::kBFloat16);
  EXPECT_EQ(p.metadata.at("k"), "v\u00e9");
  // I16 is read as int32.
  EXPECT_EQ(
      parse_safetensors_header(R"({"x":{"dtype":"I16","shape":[2],"data_offsets":[0,4]}})", 4, 1)
          .entries[0]
          .dtype,
      DType::kInt32);
}

TEST(Safetensors, MalformedHeadersSayWhy) {
  EXPECT_NE(parse_error("[1]", 0).find("not a JSON object"), std::string::npos);
  EXPECT_NE(parse_error("{\"\xff\":1}", 0).find("UTF-8"), std::string::npos);
  EXPECT_NE(parse_error("{\"\xc0\x80\":1}", 0).find("UTF-8"), std::string::npos);
  EXPECT_NE(parse_error("{\"a\":", 0).find("unexpected end"), std::string::npos);
  EXPECT_NE(parse_error(R"({"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}})", 8).find("C64"),
            std::string::npos);
  EXPECT_NE(
      parse_error(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8).find("needs 12"),
      std::string::npos);
  EXPECT_NE(parse_error(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}})", 8)
                .find("non-negative"),
            std::string::npos);
  EXPECT_NE(
      parse_error(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})", 3).find("cover 2"),
      std::string::npos);
  EXPECT_NE(parse_error(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                        R"("b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}})",
                        3)
                .find("overlap"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                        R"("a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                        2)
                .find("duplicate"),
            std::string::npos);
  EXPECT_NE(
      parse_error(
          R"({"a":{"dtype":"F64","shape":[4294967296,4294967296,16],"data_offsets":[0,0]}})", 0)
          .find("needs over 2^64"),
      std::string::npos);
  EXPECT_NE(parse_error(std::string(100, '[') + std::string(100, ']'), 0).find("deeply"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"__metadata__":{"k":1}})", 0).find("not a string"), std::string::npos);
}

class CheckpointFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("kiln-ckpt-test-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    dir_ = (root_ / "data").string();
  }
  void TearDown() override { fs::remove_all(root_); }
  static Tensor iota(Shape s) {
    Tensor t = empty_tensor(s, DType::kFloat32);
    for (int64_t i = 0; i < t.numel(); ++i) t.data_ptr<float>()[i] = float(i) * 0.5f;
    return t;
  }
  fs::path root_;
  std::string dir_;
};

grpc::StatusCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const CheckpointError& e) {
    return e.code();
  }
  return grpc::OK;
}

TEST_F(CheckpointFiles, SaveAndLoadRoundTrip) {
  Tensor big = iota({3, 4});
  Tensor small = empty_tensor({2}, DType::kUInt8);
  small.data_ptr<uint8_t>()[0] = 7;
  small.data_ptr<uint8_t>()[1] = 9;
  const uint64_t n =
      save_checkpoint(dir_, "a/b/c.safetensors",
                      {{"small", small}, {"big", big}, {"none", empty_tensor({0}, DType::kInt64)}},
                      {{"format", "pt"}});
  EXPECT_EQ(fs::file_size(fs::path(dir_) / "a/b/c.safetensors"), n);
  for (auto& e : fs::directory_iterator(fs::path(dir_) / "a/b")) {
    EXPECT_EQ(e.path().filename(), "c.safetensors");  // no temp file left
  }
  LoadedCheckpoint ck = load_checkpoint(dir_, "a/b/c.safetensors", kCPU);
  ASSERT_EQ(ck.tensors.size(), 3u);
  EXPECT_EQ(ck.tensors[0].first, "none");  // larger elements first: aligned
  EXPECT_EQ(ck.tensors[1].first, "big");
  EXPECT_EQ(ck.tensors[1].second.sizes(), (Shape{3, 4}));
  EXPECT_EQ(ck.tensors[1].second.data_ptr<float>()[11], 5.5f);
  EXPECT_EQ(ck.tensors[2].first, "small");
  EXPECT_EQ(ck.tensors[2].second.data_ptr<uint8_t>()[1], 9);
  EXPECT_EQ(ck.metadata.at("format"), "pt");
}

TEST_F(CheckpointFiles, PathsStayInsideTheDataDir) {
  save_checkpoint(dir_, "ok.safetensors", {{"x", iota({2})}}, {});
  EXPECT_EQ(code_of([&] { checkpoint_path_parts("../x"); }), grpc::PERMISSION_DENIED);
  EXPECT_EQ(code_of([&] { checkpoint_path_parts("a/../../x"); }), grpc::PERMISSION_DENIED);
  EXPECT_EQ(code_of([&] { checkpoint_path_parts("/etc/passwd"); }), grpc::PERMISSION_DENIED);
  EXPECT_EQ(code_of([&] { checkpoint_path_parts(""); }), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(code_of([&] { checkpoint_path_parts("a//b"); }), grpc::INVALID_ARGUMENT);
  fs::create_directories(root_ / "outside");
  fs::create_directory_symlink(root_ / "outside", fs::path(dir_) / "link");
  EXPECT_EQ(code_of([&] {
              save_checkpoint(dir_, "link/x.safetensors", {{"x", iota({2})}}, {});
            }),
            grpc::PERMISSION_DENIED);
  EXPECT_TRUE(fs::is_empty(root_ / "outside"));
  fs::create_symlink(fs::path(dir_) / "ok.safetensors", fs::path(dir_) / "alias.safetensors");
  EXPECT_EQ(code_of([&] { load_checkpoint(dir_, "alias.safetensors", kCPU); }),
            grpc::PERMISSION_DENIED);
  EXPECT_EQ(code_of([&] { load_checkpoint(dir_, "missing.safetensors", kCPU); }), grpc::NOT_FOUND);
}

TEST_F(CheckpointFiles, CorruptFilesAreDataLoss) {
  fs::create_directories(dir_);
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(fs::path(dir_) / name, std::ios::binary) << bytes;
  };
  write("short", "abc");
  write("huge", std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + "{}");
  std::string good = make_safetensors_header({{"a", "F32", DType::kFloat32, {2}, 0, 8}}, {});
  write("truncated", good + std::string(5, '\0'));
  write("garbage", good.substr(0, 8) + std::string(good.size() - 8, '!') + std::string(8, '\0'));
  for (const char* f : {"short", "huge", "truncated", "garbage"}) {
    EXPECT_EQ(code_of([&] { load_checkpoint(dir_, f, kCPU); }), grpc::DATA_LOSS) << f;
  }
  write("good", good + std::string(8, '\0'));
  EXPECT_EQ(load_checkpoint(dir_, "good", kCPU).tensors.size(), 1u);
}

}  // namespace
}  // namespace kiln::server
