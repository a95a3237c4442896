#include "runtime/config.h"

#include <pwd.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <type_traits>

#include "runtime/config_connectors.h"
#include "runtime/config_keys.h"
#include "util/toml_limits.h"

namespace ward {
namespace {

Result<std::string> ResolveHome(const std::string& flag) {
  std::string home = flag;
  if (home.empty()) {
    const char* env = getenv("WARD_HOME");
    if (env && *env) home = env;
  }
  if (home.empty()) {
    const char* user_home = getenv("HOME");
    if (!user_home || !*user_home) return InvalidArgument("no --home, WARD_HOME or HOME is set");
    home = std::string(user_home) + "/.ward";
  }
  std::error_code ec;
  std::filesystem::path path = std::filesystem::absolute(home, ec);
  if (ec) return InvalidArgument("cannot use home directory " + home + ": " + ec.message());
  std::filesystem::create_directories(path, ec);
  if (ec)
    return InvalidArgument("cannot create home directory " + path.string() + ": " + ec.message());
  if (!std::filesystem::is_directory(path, ec))
    return InvalidArgument("home " + path.string() + " is not a directory");
  if (access(path.c_str(), R_OK | W_OK | X_OK) != 0)
    return InvalidArgument("home directory " + path.string() + " is not readable and writable");
  chmod(path.c_str(), 0700);
  return path.string();
}

template <typename T>
void Read(const toml::table& t, const char* section, const char* key, T* out) {
  if (auto v = t[section][key].value<T>()) *out = *v;
}

Status ApplySandbox(const toml::table& t, const std::string& file, SandboxOptions& o);
Status ApplyServerToml(const std::string& file, const toml::table& t, ServerConfig& s) {
  Read(t, "server", "host", &s.host);
  int64_t port = s.port;
  Read(t, "server", "port", &port);
  if (port < 0 || port > 65535) return InvalidArgument(file + ": [server] port must be 0-65535");
  s.port = static_cast<int>(port);
  Read(t, "server", "public_url", &s.public_url);
  Read(t, "server", "tls_cert", &s.tls_cert);
  Read(t, "server", "tls_key", &s.tls_key);
  Read(t, "server", "tls_self_signed", &s.tls_self_signed);
  Read(t, "server", "threads", &s.threads);
  Read(t, "server", "max_sessions", &s.max_sessions);
  Read(t, "server", "read_timeout_seconds", &s.read_timeout_seconds);
  if (s.read_timeout_seconds < 1 || s.read_timeout_seconds > 3600)
    return InvalidArgument(file + ": [server] read_timeout_seconds must be 1-3600");
  if (s.threads < 8 || s.threads > 4096)
    return InvalidArgument(file + ": [server] threads must be 8-4096");
  if (s.max_sessions < 1) return InvalidArgument(file + ": [server] max_sessions must be >= 1");
  if (auto v = t["server"]["notify"]["webhook"].value<std::string>()) s.notify_webhook = *v;
  if (auto v = t["server"]["notify"]["topic"].value<std::string>()) s.notify_topic = *v;
  if (auto v = t["server"]["notify"]["include_summary"].value<bool>())
    s.notify_include_summary = *v;
  return Status::Ok();
}

// A string or integer key of [audit.export]: absent keeps `out`; another type is an error.
template <typename T>
Status ReadAuditExportKey(const toml::table& t, const std::string& file, const char* key, T* out) {
  const toml::node* node = t["audit"]["export"][key].node();
  if (!node) return Status::Ok();
  if (auto v = node->value_exact<T>()) {
    *out = *v;
    return Status::Ok();
  }
  return InvalidArgument(
      file + ":" + std::to_string(node->source().begin.line) + ": [audit.export] " + key +
      (std::is_same_v<T, std::string> ? " must be a string" : " must be an integer"));
}

// A string or integer key of [audit]: absent keeps `out`; another type is an error.
template <typename T>
Status ReadAuditKey(const toml::table& t, const std::string& file, const char* key, T* out) {
  const toml::node* node = t["audit"][key].node();
  if (!node) return Status::Ok();
  if (auto v = node->value_exact<T>()) {
    *out = *v;
    return Status::Ok();
  }
  return InvalidArgument(
      file + ":" + std::to_string(node->source().begin.line) + ": [audit] " + key +
      (std::is_same_v<T, std::string> ? " must be a string" : " must be an integer"));
}

// A path from ward.toml: relative ones are relative to the home directory.
std::string UnderHome(const std::string& home, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return home + "/" + path;
}

Status ApplyAuditExportToml(const std::string& file, const toml::table& t, const std::string& home,
                            AuditExportConfig& e) {
  WARD_RETURN_IF_ERROR(ReadAuditExportKey(t, file, "url", &e.url));
  WARD_RETURN_IF_ERROR(ReadAuditExportKey(t, file, "format", &e.format));
  WARD_RETURN_IF_ERROR(ReadAuditExportKey(t, file, "interval_seconds", &e.interval_seconds));
  WARD_RETURN_IF_ERROR(ReadAuditExportKey(t, file, "token_env", &e.token_env));
  WARD_RETURN_IF_ERROR(ReadAuditExportKey(t, file, "observer", &e.observer));
  if (e.interval_seconds < 1 || e.interval_seconds > 86400)
    return InvalidArgument(file + ": [audit.export] interval_seconds must be 1-86400");
  if (e.format != "fhir" && e.format != "ndjson" && e.format != "fhir-bundle" &&
      e.format != "syslog")
    return InvalidArgument(file +
                           ": [audit.export] format must be fhir, ndjson, fhir-bundle or syslog");
  bool url = e.url.find("://") != std::string::npos;
  if (url && e.url.rfind("http://", 0) != 0 && e.url.rfind("https://", 0) != 0 &&
      e.url.rfind("syslog+tcp://", 0) != 0 && e.url.rfind("syslog+udp://", 0) != 0)
    return InvalidArgument(
        file +
        ": [audit.export] url must be http(s)://, syslog+tcp://, syslog+udp:// or a file path");
  if (!url) e.url = UnderHome(home, e.url);
  return Status::Ok();
}

Status ApplyAuditToml(const std::string& file, const toml::table& t, const std::string& home,
                      AuditConfig& a) {
  WARD_RETURN_IF_ERROR(ReadAuditKey(t, file, "key_file", &a.key_file));
  WARD_RETURN_IF_ERROR(ReadAuditKey(t, file, "checkpoint_every", &a.checkpoint_every));
  WARD_RETURN_IF_ERROR(ReadAuditKey(t, file, "checkpoint_file", &a.checkpoint_file));
  WARD_RETURN_IF_ERROR(ReadAuditKey(t, file, "checkpoint_url", &a.checkpoint_url));
  WARD_RETURN_IF_ERROR(
      ReadAuditKey(t, file, "publish_timeout_seconds", &a.publish_timeout_seconds));
  if (a.checkpoint_every < 0)
    return InvalidArgument(file +
                           ": [audit] checkpoint_every must be >= 0 (0: only at session "
                           "ends and on demand)");
  if (a.publish_timeout_seconds < 1 || a.publish_timeout_seconds > 120)
    return InvalidArgument(file + ": [audit] publish_timeout_seconds must be 1-120");
  if (!a.checkpoint_url.empty() && a.checkpoint_url.rfind("http://", 0) != 0 &&
      a.checkpoint_url.rfind("https://", 0) != 0)
    return InvalidArgument(file + ": [audit] checkpoint_url must be an http:// or https:// URL");
  if (a.key_file.empty() && t["audit"]["key_file"])
    return InvalidArgument(file + ": [audit] key_file must not be empty");
  a.key_file = UnderHome(home, a.key_file);
  a.checkpoint_file = UnderHome(home, a.checkpoint_file);
  return Status::Ok();
}

// A list of strings under [privacy]; another shape is an error naming the key.
Status ReadPrivacyList(const toml::table& t, const std::string& file, const char* key,
                       std::vector<std::string>* out) {
  const toml::node* node = t["privacy"][key].node();
  if (!node) return Status::Ok();
  const toml::array* list = node->as_array();
  if (!list) return InvalidArgument(file + ": [privacy] " + key + " must be a list of strings");
  out->clear();
  for (const auto& item : *list) {
    auto text = item.value_exact<std::string>();
    if (!text) return InvalidArgument(file + ": [privacy] " + key + " must be a list of strings");
    out->push_back(*text);
  }
  return Status::Ok();
}

Status ApplyPrivacyToml(const std::string& file, const toml::table& t, WardConfig& c) {
  if (const toml::node* node = t["privacy"]["mode"].node()) {
    auto name = node->value_exact<std::string>();
    if (!name) return InvalidArgument(file + ": [privacy] mode must be a string");
    auto mode = ParsePrivacyMode(*name);
    if (!mode.ok()) return InvalidArgument(file + ": [privacy] " + mode.status().message());
    c.privacy.mode = *mode;
    c.privacy_mode_set = true;
  }
  WARD_RETURN_IF_ERROR(
      ReadPrivacyList(t, file, "identifier_patterns", &c.privacy.identifier_patterns));
  WARD_RETURN_IF_ERROR(ReadPrivacyList(t, file, "strict_allow", &c.privacy.strict_allow));
  for (const std::string& pattern : c.privacy.identifier_patterns) {
    Status ok = CheckIdentifierPattern(pattern);
    if (!ok.ok()) return InvalidArgument(file + ": [privacy] " + ok.message());
  }
  return Status::Ok();
}

Status ApplyToml(const std::string& file, WardConfig& c) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return InvalidArgument(file + ": cannot be read");
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  WARD_RETURN_IF_ERROR(CheckTomlLimits(text, file));
  toml::table t;
  try {
    t = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return InvalidArgument(file + ":" + std::to_string(e.source().begin.line) + ": " +
                           std::string(e.description()));
  }
  WARD_RETURN_IF_ERROR(CheckKnownKeys(t, file));
  Read(t, "model", "default", &c.default_model);
  std::string mode = AgentModeName(c.run_defaults.mode);
  Read(t, "run", "mode", &mode);
  if (mode != "code" && mode != "tools")
    return InvalidArgument(file + ": [run] mode must be \"code\" or \"tools\", not \"" + mode +
                           "\"");
  c.run_defaults.mode = mode == "code" ? AgentMode::kCode : AgentMode::kTools;
  int64_t max_seconds = c.run_defaults.max_wall_ms / 1000;
  int64_t action_seconds = c.run_defaults.action_timeout_ms / 1000;
  int64_t cap = static_cast<int64_t>(c.run_defaults.observation_cap_bytes);
  int64_t timeout_seconds = c.retry.request_timeout_ms / 1000;
  Read(t, "run", "max_steps", &c.run_defaults.max_steps);
  Read(t, "run", "max_tokens", &c.run_defaults.max_total_tokens);
  Read(t, "run", "max_seconds", &max_seconds);
  Read(t, "run", "action_timeout_seconds", &action_seconds);
  Read(t, "run", "observation_cap_bytes", &cap);
  Read(t, "run", "context_tokens", &c.run_defaults.context_budget_tokens);
  // The guest keeps at most 256 KiB of each output stream (head and tail); a larger
  // cap would let the guest's own cut, not the host's, decide what the model reads.
  if (cap < 1024 || cap > 256 * 1024)
    return InvalidArgument(file + ": [run] observation_cap_bytes must be 1024-262144");
  Read(t, "llm", "max_attempts", &c.retry.max_attempts);
  Read(t, "llm", "timeout_seconds", &timeout_seconds);
  WARD_RETURN_IF_ERROR(ReadConnectorTables(t, file, &c.connectors));
  int64_t ttl_minutes = c.approval_ttl_ms / 60000;
  Read(t, "gate", "approval_ttl_minutes", &ttl_minutes);
  c.approval_ttl_ms = ttl_minutes * 60000;
  Read(t, "gate", "require_distinct_approver", &c.require_distinct_approver);
  for (auto [key, list] : {std::pair{"forbid_imports", &c.validation.forbid_imports},
                           std::pair{"forbid_calls", &c.validation.forbid_calls}}) {
    if (auto* arr = t["gate"][key].as_array()) {
      list->clear();
      for (auto& v : *arr)
        if (auto str = v.value<std::string>()) list->push_back(*str);
    }
  }
  if (auto* prices = t["prices"].as_table()) {
    for (auto& [model, entry] : *prices) {
      double in = 0, out = 0;
      if (auto* e = entry.as_table()) {
        in = (*e)["input"].value<double>().value_or(0);
        out = (*e)["output"].value<double>().value_or(0);
      }
      c.prices[std::string(model.str())] = {in, out};
    }
  }
  WARD_RETURN_IF_ERROR(ApplyServerToml(file, t, c.server));
  WARD_RETURN_IF_ERROR(ApplyAuditToml(file, t, c.home, c.audit));
  WARD_RETURN_IF_ERROR(ApplyPrivacyToml(file, t, c));
  WARD_RETURN_IF_ERROR(ApplyAuditExportToml(file, t, c.home, c.audit.exporting));
  c.run_defaults.max_wall_ms = max_seconds * 1000;
  c.run_defaults.action_timeout_ms = action_seconds * 1000;
  c.run_defaults.observation_cap_bytes = static_cast<size_t>(cap);
  c.retry.request_timeout_ms = timeout_seconds * 1000;
  return ApplySandbox(t, file, c.sandbox);
}

Status ApplySandbox(const toml::table& t, const std::string& file, SandboxOptions& o) {
  if (auto* require = t["sandbox"]["require"].as_array()) {
    uint32_t mask = 0;
    for (const auto& item : *require) {
      auto name = item.value<std::string>();
      if (!name) return InvalidArgument(file + ": [sandbox] require must be a list of layer names");
      auto layer = ParseLayerName(*name);
      if (!layer.ok())
        return InvalidArgument(file + ": [sandbox] require: " + layer.status().message());
      mask |= *layer;
    }
    o.required = mask;
  } else if (t["sandbox"]["require"]) {
    return InvalidArgument(file + ": [sandbox] require must be a list of layer names");
  }
  int64_t memory_mb = static_cast<int64_t>(o.memory_bytes >> 20);
  int64_t tmp_mb = static_cast<int64_t>(o.tmp_bytes >> 20);
  int64_t pids = static_cast<int64_t>(o.max_pids);
  Read(t, "sandbox", "memory_mb", &memory_mb);
  Read(t, "sandbox", "tmp_mb", &tmp_mb);
  Read(t, "sandbox", "max_pids", &pids);
  if (memory_mb <= 0 || tmp_mb <= 0 || pids <= 0)
    return InvalidArgument(file + ": [sandbox] memory_mb, tmp_mb and max_pids must be positive");
  o.memory_bytes = static_cast<uint64_t>(memory_mb) << 20;
  o.tmp_bytes = static_cast<uint64_t>(tmp_mb) << 20;
  o.max_pids = static_cast<uint64_t>(pids);
  return Status::Ok();
}

}  // namespace

const ConnectorSettings* FindConnector(const WardConfig& config, const std::string& name) {
  for (const auto& c : config.connectors)
    if (c.name == name) return &c;
  return nullptr;
}

std::string FhirBearerToken(const ConnectorSettings& c) {
  if (c.auth != "bearer") return "";
  const char* token = getenv(c.token_env.c_str());
  return token ? token : "";
}

Result<PrivacyOptions> SessionPrivacy(const WardConfig& config, const std::string& flag,
                                      bool has_fhir_connector) {
  PrivacyOptions options = config.privacy;
  if (!flag.empty()) {
    WARD_ASSIGN_OR_RETURN(options.mode, ParsePrivacyMode(flag));
  } else if (!config.privacy_mode_set) {
    options.mode = has_fhir_connector ? PrivacyMode::kPseudonymise : PrivacyMode::kOff;
  }
  return options;
}

std::string CurrentUserName() {
  struct passwd* pw = getpwuid(geteuid());
  if (pw && pw->pw_name) return pw->pw_name;
  return "uid " + std::to_string(geteuid());
}

Result<WardConfig> LoadConfig(const std::string& home_flag) {
  WardConfig c;
  WARD_ASSIGN_OR_RETURN(c.home, ResolveHome(home_flag));
  c.audit.key_file = c.home + "/audit_key.pem";
  std::string file = c.home + "/ward.toml";
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    WARD_RETURN_IF_ERROR(ApplyToml(file, c));
    c.config_file = file;
  }
  if (const char* env = getenv("WARD_MODEL"); env && *env) c.default_model = env;
  if (const char* env = getenv("WARD_FHIR_URL"); env && *env) {
    if (!FindConnector(c, "fhir")) c.connectors.push_back({"fhir", "fhir"});
    for (auto& connector : c.connectors)
      if (connector.name == "fhir") connector.base_url = env;
  }
  return c;
}

}  // namespace ward

namespace ward {

Result<std::unique_ptr<Store>> OpenHomeStore(const std::string& home_flag) {
  WARD_ASSIGN_OR_RETURN(WardConfig config, LoadConfig(home_flag));
  return OpenSqliteStore(config.home + "/ward.db");
}

}  // namespace ward
