// A minimal leveled logger to stderr (one line per call, timestamped).
#pragma once

#include <string>

#include "engine/core/error.h"

namespace kiln::server {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

void set_log_level(const std::string& level);
bool log_enabled(LogLevel level);
void log_line(LogLevel level, const std::string& text);

template <typename... Args>
void log(LogLevel level, const Args&... args) {
  if (log_enabled(level)) log_line(level, str(args...));
}

}  // namespace kiln::server
