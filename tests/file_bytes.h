// The whole of a file as bytes, for tests that look at what reached the disk.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace accord::testing {

// The bytes of a file ("" when it cannot be read).
inline std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace accord::testing
