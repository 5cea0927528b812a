// kilnd end to end over real gRPC on loopback: sessions, the op stream, async errors,
// malformed input, transfers, isolation, auth, grace expiry, memory limits, autograd.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>
#include <zlib.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "clients/cpp/wire_writer.h"
#include "engine/core/allocator.h"
#include "engine/ops/op_id.h"
#include "proto/kiln/v1/kiln.grpc.pb.h"
#include "server/server.h"

namespace kiln::server {
namespace {

using client::Value;
using client::WireWriter;
using namespace std::chrono_literals;

class TestClient {
 public:
  TestClient(int port, const std::string& token = "")
      : token_(token),
        channel_(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                     grpc::InsecureChannelCredentials())),
        stub_(kiln::v1::Kiln::NewStub(channel_)) {}

  void auth(grpc::ClientContext& ctx) const {
    if (!token_.empty()) ctx.AddMetadata("authorization", "Bearer " + token_);
  }

  grpc::Status connect(const std::string& resume = "", uint32_t version = 1,
                       const std::string& hash = kOpTableHash) {
    grpc::ClientContext ctx;
    auth(ctx);
    kiln::v1::ConnectRequest req;
    req.set_protocol_version(version);
    req.set_op_table_hash(hash);
    req.set_resume_session(resume);
    grpc::Status st = stub_->Connect(&ctx, req, &info_);
    if (st.ok()) session_ = info_.session_id();
    return st;
  }

  void open_stream() {
    ctx_ = std::make_unique<grpc::ClientContext>();
    auth(*ctx_);
    ctx_->AddMetadata("kiln-session", session_);
    stream_ = stub_->Execute(ctx_.get());
  }

  void send(WireWriter& w) {
    kiln::v1::ExecuteRequest req;
    req.set_batch(++batch_);
    req.set_commands(w.take());
    ASSERT_TRUE(stream_->Write(req));
  }
  void send_raw(std::string bytes) {
    kiln::v1::ExecuteRequest req;
    req.set_batch(++batch_);
    req.set_commands(std::move(bytes));
    ASSERT_TRUE(stream_->Write(req));
  }

  // Next reply (errors included).
  kiln::v1::ExecuteResponse read() {
    kiln::v1::ExecuteResponse r;
    EXPECT_TRUE(stream_->Read(&r));
    return r;
  }
  // Reads until a non-error reply, collecting errors on the way.
  kiln::v1::ExecuteResponse read_reply(std::vector<kiln::v1::OpError>* errors = nullptr) {
    for (;;) {
      kiln::v1::ExecuteResponse r = read();
      if (r.has_error()) {
        if (errors) errors->push_back(r.error());
        continue;
      }
      return r;
    }
  }

  grpc::Status close() {
    stream_->WritesDone();
    kiln::v1::ExecuteResponse r;
    while (stream_->Read(&r)) {
    }
    return stream_->Finish();
  }

  std::vector<float> fetch_floats(uint64_t h) {
    WireWriter w;
    w.fetch(++req_, h);
    send(w);
    kiln::v1::ExecuteResponse r = read_reply();
    EXPECT_TRUE(r.has_fetch());
    EXPECT_TRUE(r.fetch().has_value()) << r.DebugString();
    const std::string& d = r.fetch().value().data();
    std::vector<float> out(d.size() / 4);
    std::memcpy(out.data(), d.data(), d.size());
    return out;
  }

  static void put_floats(WireWriter& w, uint64_t h, const std::vector<int64_t>& shape,
                         const std::vector<float>& v, bool requires_grad = false) {
    w.put_tensor(h, uint8_t(DType::kFloat32), shape, v.data(), v.size() * 4, requires_grad);
  }

  kiln::v1::Kiln::Stub& stub() { return *stub_; }
  const std::string& session() const { return session_; }
  const kiln::v1::ConnectResponse& info() const { return info_; }
  uint64_t next_request() { return ++req_; }

 private:
  std::string token_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<kiln::v1::Kiln::Stub> stub_;
  kiln::v1::ConnectResponse info_;
  std::string session_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<kiln::v1::ExecuteRequest, kiln::v1::ExecuteResponse>> stream_;
  uint64_t batch_ = 0;
  uint64_t req_ = 0;
};

class ServerTest : public ::testing::Test {
 protected:
  void start(ServerConfig c = {}) {
    c.listen = "127.0.0.1:0";
    c.metrics_listen = "";
    server_ = std::make_unique<KilnServer>(c);
    server_->start();
  }
  void SetUp() override {}
  void TearDown() override {
    if (server_) server_->shutdown(1);
  }
  int port() { return server_->port(); }

  std::unique_ptr<KilnServer> server_;
};

uint16_t op(OpId id) { return static_cast<uint16_t>(id); }

TEST_F(ServerTest, RefusesOtherProtocolVersionOrOpTable) {
  start();
  TestClient c(port());
  grpc::Status st = c.connect("", 99);
  EXPECT_EQ(st.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_NE(st.error_message().find("protocol version 99"), std::string::npos);
  st = c.connect("", 1, "deadbeef");
  EXPECT_EQ(st.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_NE(st.error_message().find("op table mismatch"), std::string::npos);
  EXPECT_TRUE(c.connect().ok());
  EXPECT_EQ(c.info().op_table_hash(), kOpTableHash);
}

TEST_F(ServerTest, OpsRunInOrderAndFetchReturnsValues) {
  start();
  TestClient c(port());
  ASSERT_TRUE(c.connect().ok());
  c.open_stream();
  WireWriter w;
  TestClient::put_floats(w, 1, {2, 2}, {1, 2, 3, 4});
  TestClient::put_floats(w, 2, {2}, {10, 20});
  w.op(op(OpId::add), 0, 0, {3}, {Value::handle(1), Value::handle(2), Value::real(2.0)});
  w.op(op(OpId::mul), 1, 0, {}, {Value::handle(3), Value::integer(2)});  // in place
  c.send(w);
  EXPECT_EQ(c.fetch_floats(3), (std::vector<float>{42, 84, 46, 88}));
  EXPECT_TRUE(c.close().ok());
}

TEST_F(ServerTest, FailedOpReportsItsCallsiteAndPoisonsWhatDependsOnIt) {
  start();
  TestClient c(port());
  ASSERT_TRUE(c.connect().ok());
  c.open_stream();
  WireWriter w;
  w.callsite(7, "train.py:42");
  TestClient::put_floats(w, 1, {2, 3}, {1, 2, 3, 4, 5, 6});
  TestClient::put_floats(w, 2, {4}, {1, 2, 3, 4});
  w.op(op(OpId::add), 0, 7, {3}, {Value::handle(1), Value::handle(2)});  // shapes mismatch
  w.op(op(OpId::neg), 0, 0, {4}, {Value::handle(3)});                    // poisoned input
  w.op(op(OpId::neg), 0, 0, {5}, {Value::handle(1)});                    // unaffected
  w.fetch(c.next_request(), 4);
  c.send(w);
  std::vector<kiln::v1::OpError> errors;
  kiln::v1::ExecuteResponse r = c.read_reply(&errors);
  ASSERT_EQ(errors.size(), 1u) << "one report, not one per dependent op";
  EXPECT_EQ(errors[0].op(), "add");
  EXPECT_EQ(errors[0].callsite(), "train.py:42");
  EXPECT_EQ(errors[0].kind(), "RuntimeError");
  EXPECT_NE(errors[0].message().find("[2, 3] and [4]"), std::string::npos) << errors[0].message();
  ASSERT_TRUE(r.fetch().has_error());
  EXPECT_EQ(r.fetch().error().callsite(), "train.py:42");
  EXPECT_EQ(c.fetch_floats(5), (std::vector<float>{-1, -2, -3, -4, -5, -6}));
}

TEST_F(ServerTest, MalformedBatchesFailTheRequestNotTheDaemon) {
  start();
  TestClient c(port());
  ASSERT_TRUE(c.connect().ok());
  c.open_stream();
  c.send_raw(std::string("\x01\x90", 2));     // truncated OP
  c.send_raw(std::string("\x63", 1));         // unknown command kind
  c.send_raw(std::string("\x02\xff\xff\xff\x7f", 5));  // FREE claiming 2^31 handles
  for (int i = 0; i < 3; ++i) {
    kiln::v1::ExecuteResponse r = c.read();
    ASSERT_TRUE(r.has_error());
    EXPECT_NE(r.error().message().find("malformed command"), std::string::npos) << r.error().message();
  }
  WireWriter w2;
  TestClient::put_floats(w2, 11, {1}, {5});
  w2.op(op(OpId::neg), 0, 0, {12}, {Value::handle(11)});
  c.send(w2);
  EXPECT_EQ(c.fetch_floats(12), std::vector<float>{-5});
}

TEST_F(ServerTest, BadHandlesAndSizesAreErrors) {
  start();
  TestClient c(port());
  ASSERT_TRUE(c.connect().ok());
  c.open_stream();
  WireWriter w;
  w.op(op(OpId::neg), 0, 0, {2}, {Value::handle(99)});
  const float one = 1;
  w.put_tensor(5, uint8_t(DType::kFloat32), {1000000, 1000000}, &one, 4);  // size lies
  TestClient::put_floats(w, 6, {1}, {1});
  TestClient::put_floats(w, 6, {1}, {2});  // handle reused
  w.op(uint16_t(65000), 0, 0, {7}, {});    // unknown op
  w.sync(c.next_request());
  c.send(w);
  std::vector<kiln::v1::OpError> errors;
  kiln::v1::ExecuteResponse r = c.read_reply(&errors);
  EXPECT_TRUE(r.has_sync());
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_NE(errors[0].message().find("handle 99 does not exist"), std::string::npos);
  EXPECT_NE(errors[1].message().find("bytes sent for shape [1000000, 1000000]"), std::string::npos);
  EXPECT_NE(errors[2].message().find("already in use"), std::string::npos);
  EXPECT_NE(errors[3].message().find("unknown op id 65000"), std::string::npos);
  EXPECT_EQ(c.fetch_floats(6), std::vector<float>{1});
}

void upload(TestClient& c, uint64_t handle, const std::vector<float>& v, grpc::Status* status,
            int corrupt_crc = 0, uint64_t claim_bytes = 0) {
  grpc::ClientContext ctx;
  c.auth(ctx);
  kiln::v1::UploadResponse resp;
  auto w = c.stub().Upload(&ctx, &resp);
  kiln::v1::UploadChunk h;
  h.mutable_header()->set_session_id(c.session());
  h.mutable_header()->set_handle(handle);
  h.mutable_header()->set_dtype(uint32_t(DType::kFloat32));
  h.mutable_header()->add_shape(int64_t(v.size()));
  h.mutable_header()->set_nbytes(claim_bytes ? claim_bytes : v.size() * 4);
  w->Write(h);
  const char* p = reinterpret_cast<const char*>(v.data());
  uint32_t crc = 0;
  for (size_t off = 0; off < v.size() * 4; off += 1 << 20) {
    const size_t n = std::min<size_t>(1 << 20, v.size() * 4 - off);
    kiln::v1::UploadChunk d;
    d.set_data(p + off, n);
    crc = uint32_t(::crc32(crc, reinterpret_cast<const Bytef*>(p + off), uInt(n)));
    if (!w->Write(d)) break;
  }
  kiln::v1::UploadChunk t;
  t.mutable_trailer()->set_crc32(crc + corrupt_crc);
  w->Write(t);
  w->WritesDone();
  *status = w->Finish();
}

TEST_F(ServerTest, UploadAndDownloadInChunksWithChecksums) {
  start();
  TestClient c(port());
  ASSERT_TRUE(c.connect().ok());
  std::vector<float> v(3 * (1 << 20) / 4 + 17);  // a bit over 3 MiB: several chunks
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(i % 1000) * 0.5f;
  grpc::Status st;
  upload(c, 1, v, &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  upload(c, 2, v, &st, /*corrupt_crc=*/1);
  EXPECT_EQ(st.error_code(), grpc::DATA_LOSS);
  const int64_t before = memory_stats(kCPU).allocated.load();
  upload(c, 3, v, &st, 0, /*claim_bytes=*/uint64_t(1) << 50);
  EXPECT_EQ(st.error_code(), grpc::INVALID_ARGUMENT) << "size checked before allocating";
  EXPECT_EQ(memory_stats(kCPU).allocated.load(), before);

  grpc::ClientContext ctx;
  kiln::v1::DownloadRequest req;
  req.set_session_id(c.session());
  req.set_handle(1);
  auto r = c.stub().Download(&ctx, req);
  kiln::v1::DownloadChunk chunk;
  std::string data;
  uint32_t crc = 0, trailer = 0;
  int chunks = 0;
  ASSERT_TRUE(r->Read(&chunk));
  ASSERT_TRUE(chunk.has_header());
  EXPECT_EQ(chunk.header().nbytes(), v.size() * 4);
  while (r->Read(&chunk)) {
    if (chunk.has_trailer()) {
      trailer = chunk.trailer().crc32();
      continue;
    }
    ++chunks;
    crc = uint32_t(::crc32(crc, reinterpret_cast<const Bytef*>(chunk.data().data()), uInt(chunk.data().size())));
    data += chunk.data();
  }
  ASSERT_TRUE(r->Finish().ok());
  EXPECT_EQ(chunks, 4);
  EXPECT_EQ(crc, trailer);
  ASSERT_EQ(data.size(), v.size() * 4);
  EXPECT_EQ(std::memcmp(data.data(), v.data(), data.size()), 0);
}

TEST_F(ServerTest, SessionsCannotSeeEachOthersTensors) {
  start();
  TestClient a(port()), b(port());
  ASSERT_TRUE(a.connect().ok());
  ASSERT_TRUE(b.connect().ok());
  a.open_stream();
  b.open_stream();
  WireWriter w;
  TestClient::put_floats(w, 1, {1}, {3});
  a.send(w);
  EXPECT_EQ(a.fetch_floats(1), std::vector<float>{3});
  WireWriter wb;
  wb.fetch(b.next_request(), 1);
  b.send(wb);
  kiln::v1::ExecuteResponse r0 = b.read_reply();
  ASSERT_TRUE(r0.fetch().has_error());
  EXPECT_NE(r0.fetch().error().message().find("does not exist in this session"), std::string::npos);
  grpc::ClientContext ctx;
  kiln::v1::DownloadRequest req;
  req.set_session_id(b.session());
  req.set_handle(1);
  auto r = b.stub().Download(&ctx, req);
  kiln::v1::DownloadChunk chunk;
  while (r->Read(&chunk)) {
  }
  EXPECT_FALSE(r->Finish().ok());
}

TEST_F(ServerTest, TokenIsRequiredWhenConfigured) {
  ServerConfig c;
  c.auth_token = "s3cret";
  start(c);
  TestClient none(port()), wrong(port(), "guess"), right(port(), "s3cret");
  EXPECT_EQ(none.connect().error_code(), grpc::UNAUTHENTICATED);
  EXPECT_EQ(wrong.connect().error_code(), grpc::UNAUTHENTICATED);
  EXPECT_TRUE(right.connect().ok());
}

TEST_F(ServerTest, SessionIsFreedAfterItsGraceWindow) {
  ServerConfig c;
  c.grace_seconds = 0.3;
  start(c);
  const int64_t before = memory_stats(kCPU).allocated.load();
  {
    TestClient cl(port());
    ASSERT_TRUE(cl.connect().ok());
    cl.open_stream();
    WireWriter w;
    std::vector<float> big(1 << 20, 1.0f);
    TestClient::put_floats(w, 1, {1 << 20}, big);
    w.sync(cl.next_request());
    cl.send(w);
    cl.read_reply();
    EXPECT_GE(memory_stats(kCPU).allocated.load(), before + (4 << 20));
    EXPECT_TRUE(cl.close().ok());
    // Resume within the window keeps the session.
    TestClient again(port());
    ASSERT_TRUE(again.connect(cl.session()).ok());
    EXPECT_EQ(again.info().executed_batch(), 1u);
  }
  for (int i = 0; i < 50 && server_->sessions().size() > 0; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(server_->sessions().size(), 0u);
  for (int i = 0; i < 50 && memory_stats(kCPU).allocated.load() > before; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(memory_stats(kCPU).allocated.load(), before);
}

TEST_F(ServerTest, SessionMemoryLimitFailsTheOpThatCrossesIt) {
  ServerConfig c;
  c.session_memory_bytes = 1 << 20;
  start(c);
  TestClient cl(port());
  ASSERT_TRUE(cl.connect().ok());
  cl.open_stream();
  WireWriter w;
  std::vector<float> v(100000, 1.0f);  // 400 KB
  TestClient::put_floats(w, 1, {100000}, v);
  TestClient::put_floats(w, 2, {100000}, v);
  w.op(op(OpId::add), 0, 0, {3}, {Value::handle(1), Value::handle(2)});  // crosses 1 MiB
  w.sync(cl.next_request());
  cl.send(w);
  std::vector<kiln::v1::OpError> errors;
  cl.read_reply(&errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].kind(), "OutOfMemoryError");
  EXPECT_NE(errors[0].message().find("session memory limit"), std::string::npos);
}

TEST_F(ServerTest, BackwardOverTheWire) {
  start();
  TestClient c(port());
  ASSERT_TRUE(c.connect().ok());
  c.open_stream();
  WireWriter w;
  TestClient::put_floats(w, 1, {3}, {1, 2, 3}, /*requires_grad=*/true);
  w.op(op(OpId::mul), 0, 0, {2}, {Value::handle(1), Value::handle(1)});
  w.op(op(OpId::sum), 0, 0, {3}, {Value::handle(2)});
  w.backward(0, {3}, {0});
  w.get_grad(1, 4);
  c.send(w);
  EXPECT_EQ(c.fetch_floats(4), (std::vector<float>{2, 4, 6}));
}

}  // namespace
}  // namespace kiln::server
