// ward.toml: every key is one ward reads, or the file is refused naming it.
#include "runtime/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace ward {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = std::filesystem::temp_directory_path() /
            ("ward_config_test_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(home_);
  }
  void TearDown() override { std::filesystem::remove_all(home_); }

  Result<WardConfig> Load(const std::string& toml) {
    std::ofstream(home_ / "ward.toml") << toml;
    return LoadConfig(home_.string());
  }

  std::filesystem::path home_;
};

TEST_F(ConfigTest, AMisspeltKeyIsAnErrorNamingItAndItsLine) {
  auto c = Load("[run]\nmax_steps = 4\nmax_stpes = 3\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("ward.toml:3: unknown key 'run.max_stpes'"),
            std::string::npos)
      << c.status().message();
  EXPECT_NE(c.status().message().find("max_steps"), std::string::npos);
}

// The typo that would switch the two-person rule off without a word.
TEST_F(ConfigTest, AMisspeltTwoPersonRuleIsRefused) {
  auto c = Load("[gate]\nrequire_distinct_aprover = true\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(":2: unknown key 'gate.require_distinct_aprover'"),
            std::string::npos)
      << c.status().message();
}

TEST_F(ConfigTest, UnknownTablesAndMisplacedKeysAreRefused) {
  EXPECT_NE(Load("[serve]\nport = 1\n").status().message().find("unknown key 'serve'"),
            std::string::npos);
  EXPECT_NE(Load("[server.notify]\nwebhok = \"x\"\n")
                .status()
                .message()
                .find(":2: unknown key 'server.notify.webhok'"),
            std::string::npos);
  // A known name at the wrong level (a table where a value belongs, and the reverse).
  EXPECT_FALSE(Load("[run.mode]\nx = 1\n").ok());
  EXPECT_FALSE(Load("connectors = 1\n").ok());
  EXPECT_FALSE(Load("[prices.\"openai:gpt-4o\"]\ninput = 1.0\noutptu = 2.0\n").ok());
}

TEST_F(ConfigTest, EveryDocumentedKeyIsAccepted) {
  auto c = Load(
      "[model]\ndefault = \"scripted:x\"\n"
      "[run]\nmode = \"code\"\nmax_steps = 5\nmax_tokens = 0\nmax_seconds = 0\n"
      "action_timeout_seconds = 30\nobservation_cap_bytes = 16384\ncontext_tokens = 1000\n"
      "[llm]\nmax_attempts = 2\ntimeout_seconds = 10\n"
      "[connectors.fhir]\nbase_url = \"http://127.0.0.1:1/fhir\"\nauth = \"none\"\n"
      "token_env = \"T\"\n"
      "[gate]\napproval_ttl_minutes = 5\nrequire_distinct_approver = true\n"
      "forbid_imports = [\"ctypes\"]\nforbid_calls = [\"os.system\"]\n"
      "[prices.\"openai:gpt-4o\"]\ninput = 2.5\noutput = 10.0\n"
      "[sandbox]\nrequire = [\"mount\"]\nmemory_mb = 256\ntmp_mb = 32\nmax_pids = 32\n"
      "[server]\nhost = \"127.0.0.1\"\nport = 7070\npublic_url = \"\"\ntls_cert = \"\"\n"
      "tls_key = \"\"\ntls_self_signed = false\nthreads = 64\nmax_sessions = 4\n"
      "read_timeout_seconds = 5\n"
      "[server.notify]\nwebhook = \"\"\ntopic = \"\"\ninclude_summary = false\n"
      "[[policy.rule]]\nname = \"r\"\nbinding = \"*\"\ndecision = \"allow\"\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->require_distinct_approver);
  EXPECT_EQ(c->run_defaults.max_steps, 5);
}

// [privacy]: the mode is chosen per session (pseudonymise with a FHIR connector,
// else off) unless configured; a flag overrides; bad values name the key.
TEST_F(ConfigTest, PrivacyKeysAndTheSessionDefault) {
  auto plain = Load("");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(SessionPrivacy(*plain, "", true)->mode, PrivacyMode::kPseudonymise);
  EXPECT_EQ(SessionPrivacy(*plain, "", false)->mode, PrivacyMode::kOff);
  EXPECT_EQ(SessionPrivacy(*plain, "strict", false)->mode, PrivacyMode::kStrict);
  EXPECT_FALSE(SessionPrivacy(*plain, "loose", false).ok());
  auto set = Load(
      "[privacy]\nmode = \"off\"\nidentifier_patterns = ['MRN-\\d{6}']\n"
      "strict_allow = [\"*.code\"]\n");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(SessionPrivacy(*set, "", true)->mode, PrivacyMode::kOff);
  EXPECT_EQ(set->privacy.identifier_patterns.size(), 1u);
  EXPECT_EQ(set->privacy.strict_allow, std::vector<std::string>{"*.code"});
  EXPECT_FALSE(Load("[privacy]\nmode = \"loose\"\n").ok());
  EXPECT_FALSE(Load("[privacy]\nmode = 1\n").ok());
  EXPECT_FALSE(Load("[privacy]\nidentifier_patterns = \"x\"\n").ok());
  auto bad = Load("[privacy]\nidentifier_patterns = ['(\\d+']\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("[privacy]"), std::string::npos);
  EXPECT_FALSE(Load("[privacy]\nmodee = \"off\"\n").ok());
}

// [connectors.NAME]: several of a type, each named for the guest; `fhir` needs
// no type; everything else about a connector table is checked like any key.
// The guest keeps 256 KiB of each stream; a larger cap would let its cut decide
// what the model reads (possibly half an identifier, before pseudonymisation).
TEST_F(ConfigTest, ObservationCapStaysWithinWhatTheGuestKeeps) {
  EXPECT_TRUE(Load("[run]\nobservation_cap_bytes = 262144\n").ok());
  auto big = Load("[run]\nobservation_cap_bytes = 262145\n");
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("observation_cap_bytes must be 1024-262144"),
            std::string::npos);
  EXPECT_FALSE(Load("[run]\nobservation_cap_bytes = 10\n").ok());
}

TEST_F(ConfigTest, ConnectorsAreNamedTablesWithATypeAndTheirOwnKeys) {
  auto c = Load(
      "[connectors.fhir]\nbase_url = \"http://127.0.0.1:1/fhir\"\n"
      "[connectors.labs]\ntype = \"fhir\"\nbase_url = \"https://labs.example/fhir\"\n"
      "auth = \"bearer\"\ntoken_env = \"LABS_TOKEN\"\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->connectors.size(), 2u);
  const ConnectorSettings* labs = FindConnector(*c, "labs");
  ASSERT_NE(labs, nullptr);
  EXPECT_EQ(labs->type, "fhir");
  EXPECT_EQ(labs->token_env, "LABS_TOKEN");
  EXPECT_EQ(FindConnector(*c, "fhir")->type, "fhir");

  auto error = [&](const std::string& toml) {
    auto r = Load(toml);
    EXPECT_FALSE(r.ok()) << toml;
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_NE(error("[connectors.labs]\nbase_url = \"x\"\n")
                .find(":1: [connectors.labs] needs a "
                      "type"),
            std::string::npos);
  EXPECT_NE(error("[connectors.labs]\ntype = \"ftp\"\n").find("type must be"), std::string::npos);
  EXPECT_NE(error("[connectors.fhir]\nbase_url = \"x\"\nbase_ulr = \"y\"\n")
                .find(":3: unknown key 'connectors.fhir.base_ulr'"),
            std::string::npos);
  EXPECT_NE(error("[connectors.fhir]\nbase_url = 5\n").find("base_url must be a string"),
            std::string::npos);
  EXPECT_NE(error("[connectors.fhir]\nauth = \"bearer\"\n").find("needs token_env"),
            std::string::npos);
  // The name is the guest's object: never a keyword, ward's own finish, or odd text.
  for (const char* name : {"finish", "import", "Labs", "\"two words\"", "labs-2", "\"a.b\""})
    EXPECT_NE(error(std::string("[connectors.") + name + "]\ntype = \"fhir\"\n")
                  .find("lowercase identifier"),
              std::string::npos)
        << name;
}

TEST_F(ConfigTest, WardFhirUrlSetsTheFhirConnectorsBaseUrl) {
  setenv("WARD_FHIR_URL", "http://127.0.0.1:9/fhir", 1);
  auto none = Load("");
  auto named = Load("[connectors.fhir]\nbase_url = \"http://elsewhere/fhir\"\n");
  unsetenv("WARD_FHIR_URL");
  ASSERT_TRUE(none.ok() && named.ok());
  ASSERT_NE(FindConnector(*none, "fhir"), nullptr);
  EXPECT_EQ(FindConnector(*none, "fhir")->base_url, "http://127.0.0.1:9/fhir");
  EXPECT_EQ(FindConnector(*named, "fhir")->base_url, "http://127.0.0.1:9/fhir");
}

TEST_F(ConfigTest, AuditCheckpointKeysHaveDefaultsAndAreChecked) {
  auto defaults = Load("");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->audit.key_file, home_.string() + "/audit_key.pem");
  EXPECT_EQ(defaults->audit.checkpoint_every, 1000);
  EXPECT_EQ(defaults->audit.checkpoint_file, "");
  auto set = Load(
      "[audit]\nkey_file = \"keys/k.pem\"\ncheckpoint_every = 10\n"
      "checkpoint_file = \"/mnt/worm/cp.ndjson\"\ncheckpoint_url = \"https://a.example/cp\"\n"
      "publish_timeout_seconds = 3\n");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->audit.key_file, home_.string() + "/keys/k.pem");
  EXPECT_EQ(set->audit.checkpoint_every, 10);
  EXPECT_EQ(set->audit.checkpoint_file, "/mnt/worm/cp.ndjson");
  EXPECT_EQ(set->audit.checkpoint_url, "https://a.example/cp");
  EXPECT_EQ(set->audit.publish_timeout_seconds, 3);
  auto error = [&](const std::string& toml) { return Load(toml).status().message(); };
  EXPECT_NE(error("[audit]\ncheckpoint_evry = 1\n").find("unknown key 'audit.checkpoint_evry'"),
            std::string::npos);
  EXPECT_NE(error("[audit]\ncheckpoint_every = \"10\"\n").find("must be an integer"),
            std::string::npos);
  EXPECT_NE(error("[audit]\ncheckpoint_every = -1\n").find(">= 0"), std::string::npos);
  EXPECT_NE(error("[audit]\ncheckpoint_url = \"ftp://x\"\n").find("http"), std::string::npos);
  EXPECT_NE(error("[audit]\nkey_file = \"\"\n").find("must not be empty"), std::string::npos);
  EXPECT_NE(error("[audit]\npublish_timeout_seconds = 0\n").find("1-120"), std::string::npos);
}

TEST_F(ConfigTest, AuditExportKeysHaveDefaultsAndAreChecked) {
  auto defaults = Load("");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->audit.exporting.url, "");
  EXPECT_EQ(defaults->audit.exporting.format, "fhir");
  EXPECT_EQ(defaults->audit.exporting.interval_seconds, 60);
  auto set = Load(
      "[audit.export]\nurl = \"https://ehr.example/fhir\"\nformat = \"fhir\"\n"
      "interval_seconds = 5\ntoken_env = \"EXPORT_TOKEN\"\nobserver = \"ward-1\"\n");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->audit.exporting.url, "https://ehr.example/fhir");
  EXPECT_EQ(set->audit.exporting.interval_seconds, 5);
  EXPECT_EQ(set->audit.exporting.token_env, "EXPORT_TOKEN");
  EXPECT_EQ(set->audit.exporting.observer, "ward-1");
  auto file = Load("[audit.export]\nurl = \"exports/audit.ndjson\"\nformat = \"ndjson\"\n");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->audit.exporting.url, home_.string() + "/exports/audit.ndjson");
  auto error = [&](const std::string& toml) { return Load(toml).status().message(); };
  EXPECT_NE(error("[audit.export]\nurl = \"ftp://x\"\n").find("url must be"), std::string::npos);
  EXPECT_NE(error("[audit.export]\nformat = \"xml\"\n").find("format must be"), std::string::npos);
  EXPECT_NE(error("[audit.export]\ninterval_seconds = 0\n").find("1-86400"), std::string::npos);
  EXPECT_NE(error("[audit.export]\ntoken = \"x\"\n").find("unknown key 'audit.export.token'"),
            std::string::npos);
}

}  // namespace
}  // namespace ward
