#include "journal/replay_ids.h"

namespace ward {
namespace {

// "Patient/dryrun-3" → "dryrun-3"; a reference without a '/' is its own id part.
std::string IdPart(const std::string& reference) {
  size_t slash = reference.rfind('/');
  return slash == std::string::npos ? reference : reference.substr(slash + 1);
}

}  // namespace

std::string RewriteReplayId(const std::string& text, const ReplayIds& ids) {
  auto exact = ids.find(text);
  if (exact != ids.end()) return exact->second;
  for (const auto& [simulated, real] : ids) {
    if (IdPart(simulated) == text) return IdPart(real);
  }
  return text;
}

void RewriteReplayIds(nlohmann::json& value, const ReplayIds& ids) {
  if (ids.empty()) return;
  if (value.is_string()) {
    value = RewriteReplayId(value.get<std::string>(), ids);
  } else if (value.is_object() || value.is_array()) {
    for (auto& item : value) RewriteReplayIds(item, ids);
  }
}

}  // namespace ward
