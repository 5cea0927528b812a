#include "server/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace kiln::server {
namespace {
LogLevel g_level = LogLevel::kInfo;
std::mutex g_mu;
}  // namespace

void set_log_level(const std::string& level) {
  if (level == "debug") g_level = LogLevel::kDebug;
  else if (level == "warning") g_level = LogLevel::kWarning;
  else if (level == "error") g_level = LogLevel::kError;
  else g_level = LogLevel::kInfo;
}

bool log_enabled(LogLevel level) { return level >= g_level; }

void log_line(LogLevel level, const std::string& text) {
  static const char* kNames[] = {"D", "I", "W", "E"};
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm;
  localtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
  std::lock_guard<std::mutex> lk(g_mu);
  std::fprintf(stderr, "%s %s %s\n", kNames[int(level)], stamp, text.c_str());
  std::fflush(stderr);
}

}  // namespace kiln::server
