#include "core/code_extract.h"

#include <cctype>

namespace ward {
namespace {

// True when the fence's info string names Python ("python", "py", "python3").
bool IsPythonInfo(const std::string& info) {
  std::string word;
  for (char c : info) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!word.empty()) break;
      continue;
    }
    word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return word == "python" || word == "py" || word == "python3";
}

}  // namespace

std::optional<std::string> ExtractPythonCode(const std::string& reply) {
  std::string joined;
  bool found = false;
  size_t pos = 0;
  while ((pos = reply.find("```", pos)) != std::string::npos) {
    size_t eol = reply.find('\n', pos);
    if (eol == std::string::npos) break;
    std::string info = reply.substr(pos + 3, eol - pos - 3);
    size_t close = reply.find("\n```", eol);
    size_t body_end = close == std::string::npos ? reply.size() : close + 1;
    if (IsPythonInfo(info)) {
      std::string body = reply.substr(eol + 1, body_end - eol - 1);
      if (found) joined += "\n";
      joined += body;
      found = true;
    }
    if (close == std::string::npos) break;
    pos = close + 4;
  }
  if (!found) return std::nullopt;
  return joined;
}

}  // namespace ward
