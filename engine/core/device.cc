#include "engine/core/device.h"

#include <charconv>

#include "engine/core/error.h"

namespace kiln {

const char* device_type_name(DeviceType t) { return t == DeviceType::kCUDA ? "cuda" : "cpu"; }

Device Device::parse(std::string_view s) {
  const std::string_view orig = s;
  DeviceType type;
  if (s.substr(0, 3) == "cpu") {
    type = DeviceType::kCPU;
    s.remove_prefix(3);
  } else if (s.substr(0, 4) == "cuda") {
    type = DeviceType::kCUDA;
    s.remove_prefix(4);
  } else {
    KILN_CHECK_VALUE(false, "Expected one of cpu, cuda device type at start of device string: ",
                     std::string(orig));
  }
  int index = 0;
  if (!s.empty()) {
    KILN_CHECK_VALUE(s[0] == ':' && s.size() > 1, "Invalid device string: '", std::string(orig),
                     "'");
    auto [p, ec] = std::from_chars(s.data() + 1, s.data() + s.size(), index);
    KILN_CHECK_VALUE(ec == std::errc() && p == s.data() + s.size() && index >= 0 && index < 1024,
                     "Invalid device string: '", std::string(orig), "'");
  }
  return Device(type, static_cast<int16_t>(index));
}

std::string Device::str() const {
  if (type == DeviceType::kCPU) return "cpu";
  return std::string("cuda:") + std::to_string(index);
}

std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }

}  // namespace kiln
