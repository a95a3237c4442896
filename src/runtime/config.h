// Configuration for the CLI: $WARD_HOME, ward.toml, and their precedence
// (command-line flag > environment variable > ward.toml > default).
//
// ward.toml (all keys optional):
//   [model]
//   default = "openai:gpt-4o"
//   [run]
//   mode = "code"              # or "tools"
//   max_steps = 20
//   max_tokens = 0             # 0 = unlimited
//   max_seconds = 0            # wall time per session, 0 = unlimited
//   action_timeout_seconds = 30
//   observation_cap_bytes = 16384
//   context_tokens = 100000
//   [llm]
//   max_attempts = 4
//   timeout_seconds = 120
//   [connectors.fhir]                          # one table per system; NAME is the guest's
//   type = "fhir"                              # object (fhir.read) and may be any lowercase
//   base_url = "http://127.0.0.1:8080/fhir"   # identifier; type defaults to "fhir" for the
//   auth = "none"                              # table named fhir. base_url of `fhir` also
//   token_env = "FHIR_TOKEN"                   # from WARD_FHIR_URL or --fhir-url
//   [connectors.labs]                          # a second FHIR server: labs.read, labs.search…
//   type = "fhir"
//   base_url = "https://labs.example.org/fhir"
//   [gate]
//   approval_ttl_minutes = 15                  # an unanswered approval expires (= denied)
//   require_distinct_approver = false          # two-person rule
//   forbid_imports = ["ctypes", "subprocess", "socket"]
//   forbid_calls = ["os.system", "os.popen", "os.exec*", "os.spawn*", "os.fork"]
//   [prices."openai:gpt-4o"]                   # per million tokens, for --max-cost
//   input = 2.5
//   output = 10.0
//   [[policy.rule]] ...                        # see src/gate/policy/policy.h
//   [sandbox]
//   require = ["mount", "pid", "net", "seccomp", "no_new_privs", "nonroot", "proc"]   # the default
//   memory_mb = 512            # cgroup memory limit per guest
//   max_pids = 64              # cgroup process limit per guest
//   tmp_mb = 64                # size of the guest's private /tmp
//   [server]                   # `ward serve` (flags override)
//   host = "127.0.0.1"
//   port = 7070
//   public_url = ""            # base of links in notifications; default from host/port
//   tls_cert = ""              # PEM files; or tls_self_signed = true
//   tls_key = ""
//   tls_self_signed = false    # create and reuse <home>/tls/{cert,key}.pem
//   threads = 128              # connections served at once (each SSE viewer holds one)
//   max_sessions = 32          # sessions the server runs at once
//   read_timeout_seconds = 10  # a request must arrive whole within this (slow clients)
//   [server.notify]
//   webhook = ""               # POSTed on every approval_requested (Slack, ntfy, …)
//   topic = ""                 # ntfy topic, when webhook is ntfy's root URL
//   include_summary = false    # add the approval's one-line summary (it may name
//                              # patients); by default only ids, binding, rule, link
//   [audit]                    # signed checkpoints of the audit chain (docs/audit.md)
//   key_file = ""              # Ed25519 key (PEM, 0600); default <home>/audit_key.pem,
//                              # created on first use
//   checkpoint_every = 1000    # entries between checkpoints; 0 = only at session ends
//                              # and `ward audit checkpoint`
//   checkpoint_file = ""       # append each checkpoint here (other storage)
//   checkpoint_url = ""        # and/or POST each one here
//   publish_timeout_seconds = 5
//   [privacy]                  # what the model may see (docs/privacy.md)
//   mode = "pseudonymise"      # "off" | "pseudonymise" | "strict"; default pseudonymise
//                              # when a FHIR connector is configured, else off
//   identifier_patterns = []   # more identifier formats (RE2), e.g. ['MRN-\d{6}']
//   strict_allow = []          # strict: element paths whose text may reach the model
//   [audit.export]             # `ward serve` exports the log continuously (docs/audit.md)
//   url = ""                   # http(s):// FHIR base, syslog+tcp|udp://host:port, or a file
//   format = "fhir"            # fhir (for a URL), ndjson, fhir-bundle or syslog
//   interval_seconds = 60      # between exports
//   token_env = ""             # environment variable holding a bearer token
//   observer = ""              # this installation's name; default the host name
//
// A key not listed here (outside [[policy.rule]], which the policy checks) is an
// error naming the key and its line: a typo never leaves a setting at its default.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "gate/validate.h"
#include "llm/provider.h"
#include "privacy/pseudonymizer.h"
#include "protocol/op.h"
#include "sandbox/sandbox.h"
#include "util/status.h"

namespace ward {

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 7070;
  std::string public_url;
  std::string tls_cert, tls_key;
  bool tls_self_signed = false;
  int64_t threads = 128;
  int64_t max_sessions = 32;
  int64_t read_timeout_seconds = 10;  // a request's head and body must arrive within this
  std::string notify_webhook;
  std::string notify_topic;
  bool notify_include_summary = false;  // the approval's summary in webhook bodies
};

// [audit]: where checkpoints are signed and published (audit/checkpointer.h).
// [audit.export]: the continuous export `ward serve` runs (audit/audit_export.h).
struct AuditExportConfig {
  std::string url;  // "" = no continuous export
  std::string format = "fhir";
  int64_t interval_seconds = 60;
  std::string token_env;  // the variable's name; its value is read when exporting
  std::string observer;   // "" = the host name
};

struct AuditConfig {
  std::string key_file;  // absolute; <home>/audit_key.pem unless ward.toml names one
  int64_t checkpoint_every = 1000;
  std::string checkpoint_file;  // "" = not published to a file
  std::string checkpoint_url;   // "" = not posted
  int64_t publish_timeout_seconds = 5;
  AuditExportConfig exporting;  // [audit.export]
};

struct HttpApiConfig;  // connectors/http/http_api_config.h
namespace sql {
struct SqlConnectorConfig;  // connectors/sql/sql_connector_config.h
}

// One `[connectors.NAME]` table (see connectors/connector.h).
struct ConnectorSettings {
  std::string name;  // NAME: the guest's object, the prefix of its bindings, the journal's name
  std::string type;  // "fhir", "http" or "sql"
  // type "fhir":
  std::string base_url;       // empty: the connector is not used
  std::string auth = "none";  // or "bearer"
  std::string token_env;      // with auth = "bearer": the variable holding the token
  std::shared_ptr<const HttpApiConfig> http;           // type "http"
  std::shared_ptr<const sql::SqlConnectorConfig> sql;  // type "sql"
};

struct WardConfig {
  std::string home;  // absolute path of the home directory
  std::string default_model;
  StartTaskOp run_defaults;  // task empty
  RetryPolicy retry;
  std::vector<ConnectorSettings> connectors;  // in name order
  std::string config_file;                    // <home>/ward.toml when it exists, else ""
  int64_t approval_ttl_ms = 15 * 60 * 1000;
  bool require_distinct_approver = false;
  ValidationRules validation;
  std::map<std::string, std::pair<double, double>> prices;  // model -> input, output per Mtok
  SandboxOptions sandbox;  // guest_dir empty; require and limits from [sandbox]
  ServerConfig server;
  AuditConfig audit;
  PrivacyOptions privacy;         // mode: see privacy_mode_set
  bool privacy_mode_set = false;  // [privacy] mode given; else chosen per session
};

// The privacy options of a session: `flag` ("" = none) over [privacy] mode, else
// pseudonymise when the session has a FHIR connector, else off.
Result<PrivacyOptions> SessionPrivacy(const WardConfig& config, const std::string& flag,
                                      bool has_fhir_connector);

// `home_flag` empty → $WARD_HOME → ~/.ward. Creates the directory (0700) when
// missing. InvalidArgument, naming the path, when it is unusable or ward.toml is
// malformed (with the line).
Result<WardConfig> LoadConfig(const std::string& home_flag);

// The connector named `name`, or null.
const ConnectorSettings* FindConnector(const WardConfig& config, const std::string& name);

// The bearer token of a FHIR connector (read from its token_env), or "" when auth
// is "none" or the variable is unset.
std::string FhirBearerToken(const ConnectorSettings& connector);

// The OS user name of this process ("uid N" when it has none).
std::string CurrentUserName();

}  // namespace ward

#include <memory>

#include "store/store.h"

namespace ward {

// LoadConfig(home_flag), then opens <home>/ward.db.
Result<std::unique_ptr<Store>> OpenHomeStore(const std::string& home_flag);

}  // namespace ward
