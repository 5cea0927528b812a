// Each example is a program that exits 0 when it reaches what its header claims (a loss under
// a stated threshold, for cnn also a held-out accuracy); this runs them from the test's
// runfiles and shows their output.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <sys/wait.h>

namespace {

// Runs `path`, returning its exit status and putting its stdout in `out`.
int run(const std::string& path, std::string& out) {
  FILE* p = popen(path.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[256];
  while (fgets(buf, sizeof(buf), p) != nullptr) out += buf;
  const int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Examples, MlpReachesItsLoss) {
  std::string out;
  const int rc = run("examples/mlp", out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("final loss"), std::string::npos) << out;
  std::printf("%s", out.c_str());
}

TEST(Examples, CnnReachesItsLossAndAccuracy) {
  std::string out;
  const int rc = run("examples/cnn", out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("held-out accuracy"), std::string::npos) << out;
  std::printf("%s", out.c_str());
}

}  // namespace
