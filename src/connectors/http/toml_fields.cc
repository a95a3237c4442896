#include "connectors/http/toml_fields.h"

#include <algorithm>

namespace ward::http_config {

Status Fields::Error(std::string_view key, std::string_view message) const {
  return InvalidArgument(where + ": " + prefix + std::string(key) + " " + std::string(message));
}

Status Fields::CheckKnown(std::initializer_list<std::string_view> known) const {
  for (const auto& [key, value] : table) {
    if (std::find(known.begin(), known.end(), key.str()) == known.end())
      return Error(key.str(), "is not a known key");
  }
  return Status::Ok();
}

Result<std::optional<std::string>> Fields::String(std::string_view key) const {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::optional<std::string>();
  if (auto v = node->value<std::string>(); v && node->is_string()) return std::optional(*v);
  return Error(key, "must be a string");
}

Result<std::optional<int64_t>> Fields::Integer(std::string_view key) const {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::optional<int64_t>();
  if (node->is_integer()) return std::optional(*node->value<int64_t>());
  return Error(key, "must be an integer");
}

Result<std::optional<bool>> Fields::Boolean(std::string_view key) const {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::optional<bool>();
  if (node->is_boolean()) return std::optional(*node->value<bool>());
  return Error(key, "must be true or false");
}

Result<std::optional<std::vector<std::string>>> Fields::Strings(std::string_view key) const {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::optional<std::vector<std::string>>();
  const toml::array* array = node->as_array();
  if (array == nullptr) return Error(key, "must be a list of strings");
  std::vector<std::string> out;
  for (const toml::node& item : *array) {
    if (!item.is_string()) return Error(key, "must be a list of strings");
    out.push_back(*item.value<std::string>());
  }
  return std::optional(std::move(out));
}

Result<std::string> Fields::RequiredString(std::string_view key) const {
  WARD_ASSIGN_OR_RETURN(std::optional<std::string> value, String(key));
  if (!value || value->empty()) return Error(key, "is required");
  return *std::move(value);
}

Result<int64_t> Fields::IntegerIn(std::string_view key, int64_t min, int64_t max,
                                  int64_t fallback) const {
  WARD_ASSIGN_OR_RETURN(std::optional<int64_t> value, Integer(key));
  if (!value) return fallback;
  if (*value < min || *value > max)
    return Error(key, "must be " + std::to_string(min) + "-" + std::to_string(max));
  return *value;
}

}  // namespace ward::http_config
