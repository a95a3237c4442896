#include "gate/policy/policy.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace ward {
namespace {

ActionDescriptor Call(std::string binding, std::string operation, std::string resource_type = "",
                      std::string patient = "") {
  ActionDescriptor a;
  a.kind = "binding";
  a.binding = binding;
  a.connector = binding.substr(0, binding.find('.'));
  a.operation = std::move(operation);
  a.resource_type = std::move(resource_type);
  if (!patient.empty()) a.patients = {std::move(patient)};
  return a;
}

ActionDescriptor Code(std::string code) {
  ActionDescriptor a;
  a.kind = "code";
  a.code = std::move(code);
  return a;
}

Policy Load(const std::string& toml) {
  auto p = Policy::FromToml(toml, "test.toml");
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(p).value() : Policy();
}

std::string LoadError(const std::string& toml) {
  auto p = Policy::FromToml(toml, "test.toml");
  EXPECT_FALSE(p.ok());
  if (p.ok()) return "";
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  return p.status().message();
}

TEST(PolicyDefaults, ReadsAndControlAllowWritesAskCodeAllows) {
  Policy policy;
  EXPECT_EQ(policy.rule_count(), 0u);
  auto read = policy.Evaluate(Call("fhir.search", "read", "Observation"), {});
  EXPECT_EQ(read.decision, Decision::kAllow);
  EXPECT_EQ(read.rule, "default");
  EXPECT_EQ(policy.Evaluate(Call("finish", "control"), {}).decision, Decision::kAllow);
  auto write = policy.Evaluate(Call("fhir.create", "write", "Observation"), {});
  EXPECT_EQ(write.decision, Decision::kAsk);
  EXPECT_EQ(write.rule, "default");
  EXPECT_EQ(write.reason, "writes need approval by default");
  EXPECT_EQ(policy.Evaluate(Call("fhir.delete", "delete", "Patient"), {}).decision, Decision::kAsk);
  EXPECT_EQ(policy.Evaluate(Code("import os"), {}).decision, Decision::kAllow);
  EXPECT_STREQ(DecisionName(Decision::kAsk), "ask");
}

TEST(PolicyDefaults, AnEmptyDocumentOrOtherSectionsHaveNoRules) {
  EXPECT_EQ(Load("").rule_count(), 0u);
  EXPECT_EQ(
      Load("[model]\ndefault = \"openai:gpt-4o\"\n[policy]\nrequire_distinct_approver = true\n")
          .rule_count(),
      0u);
}

TEST(PolicyMatch, EveryGivenFieldMustMatch) {
  Policy policy = Load(R"(
[[policy.rule]]
name = "no-patient-deletes"
binding = "fhir.*"
connector = "fhir"
operation = ["delete", "write"]
resource_type = ["Patient", "Observation"]
patient = "123"
decision = "deny"
reason = "no"
)");
  auto d = policy.Evaluate(Call("fhir.delete", "delete", "Patient", "123"), {});
  EXPECT_EQ(d.decision, Decision::kDeny);
  EXPECT_EQ(d.rule, "no-patient-deletes");
  EXPECT_EQ(d.reason, "no");
  EXPECT_EQ(policy.Evaluate(Call("fhir.update", "write", "Observation", "123"), {}).rule,
            "no-patient-deletes");
  // Each field in turn fails to match: the default decides.
  EXPECT_EQ(policy.Evaluate(Call("fhir.delete", "delete", "Patient", "456"), {}).rule, "default");
  EXPECT_EQ(policy.Evaluate(Call("fhir.delete", "delete", "Encounter", "123"), {}).rule, "default");
  EXPECT_EQ(policy.Evaluate(Call("fhir.read", "read", "Patient", "123"), {}).rule, "default");
  EXPECT_EQ(policy.Evaluate(Call("sql.delete", "delete", "Patient", "123"), {}).rule, "default");
  auto other_connector = Call("fhir.delete", "delete", "Patient", "123");
  other_connector.connector = "fhir2";
  EXPECT_EQ(policy.Evaluate(other_connector, {}).rule, "default");
}

// A patient-scoped deny cannot be passed by touching the patient among others, or
// a patient that cannot be named; an allow for one patient covers no one else.
TEST(PolicyMatch, PatientRulesFailClosed) {
  Policy policy = Load(R"(
[[policy.rule]]
name = "not-123"
patient = "123"
decision = "deny"
reason = "protected"

[[policy.rule]]
name = "only-456"
patient = "456"
operation = "write"
decision = "allow"
)");
  auto both = Call("fhir.search", "read", "Observation", "456");
  both.patients.push_back("123");
  EXPECT_EQ(policy.Evaluate(both, {}).rule, "not-123");
  auto unknown = Call("fhir.search", "read", "Observation");
  unknown.patient_unknown = true;
  EXPECT_EQ(policy.Evaluate(unknown, {}).rule, "not-123");
  EXPECT_EQ(policy.Evaluate(Call("fhir.read", "read", "Patient", "456"), {}).rule, "default");
  EXPECT_EQ(policy.Evaluate(Call("fhir.update", "write", "Patient", "456"), {}).rule, "only-456");
  auto other_too = Call("fhir.update", "write", "Observation", "456");
  other_too.patients.push_back("789");
  EXPECT_EQ(policy.Evaluate(other_too, {}).rule, "default");
  auto unknown_write = Call("fhir.update", "write", "Observation", "456");
  unknown_write.patient_unknown = true;
  EXPECT_EQ(policy.Evaluate(unknown_write, {}).decision, Decision::kDeny);
  EXPECT_EQ(policy.Evaluate(Call("fhir.update", "write", "Observation"), {}).rule, "default");
}

TEST(PolicyMatch, BindingGlobs) {
  Policy policy = Load(R"(
[[policy.rule]]
binding = ["fhir.*", "sql.qu?ry"]
decision = "deny"
reason = "r"
)");
  EXPECT_EQ(policy.Evaluate(Call("fhir.search", "read"), {}).decision, Decision::kDeny);
  EXPECT_EQ(policy.Evaluate(Call("sql.query", "read"), {}).decision, Decision::kDeny);
  EXPECT_EQ(policy.Evaluate(Call("sql.queery", "read"), {}).decision, Decision::kAllow);
  EXPECT_EQ(policy.Evaluate(Call("fhirx.search", "read"), {}).decision, Decision::kAllow);
  EXPECT_EQ(policy.Evaluate(Call("fhir.search", "read"), {}).rule, "rule 1");
}

TEST(PolicyMatch, CodeRulesMatchOnlyCodeAndBindingRulesOnlyBindings) {
  Policy policy = Load(R"(
[[policy.rule]]
name = "no-os"
code = "import\\s+os"
decision = "deny"
reason = "no os"

[[policy.rule]]
name = "reads-ask"
operation = "read"
decision = "ask"
reason = "look first"
)");
  EXPECT_EQ(policy.Evaluate(Code("x = 1\nimport   os\n"), {}).rule, "no-os");
  EXPECT_EQ(policy.Evaluate(Code("import sys"), {}).rule, "default");
  EXPECT_EQ(Load("[[policy.rule]]\ncode = \"^import os$\"\ndecision = \"deny\"\nreason = \"r\"\n")
                .Evaluate(Code("x = 1\nimport os\ny = 2"), {})
                .decision,
            Decision::kDeny);
  auto read = Call("fhir.read", "read");
  read.code = "import os";  // not a code action: the code rule does not apply
  EXPECT_EQ(policy.Evaluate(read, {}).rule, "reads-ask");
  ActionDescriptor code = Code("import sys");
  code.operation = "read";  // not a binding call: the binding rule does not apply
  EXPECT_EQ(policy.Evaluate(code, {}).rule, "default");
}

TEST(PolicyMatch, ARuleWithNoConditionsMatchesEverything) {
  Policy policy = Load("[[policy.rule]]\ndecision = \"ask\"\nreason = \"all\"\n");
  EXPECT_EQ(policy.Evaluate(Code("x"), {}).decision, Decision::kAsk);
  EXPECT_EQ(policy.Evaluate(Call("finish", "control"), {}).decision, Decision::kAsk);
}

TEST(PolicyMatch, LongCodeDoesNotExhaustTheStack) {
  Policy policy = Load(R"(
[[policy.rule]]
code = "(a|b)*c"
decision = "deny"
reason = "r"
)");
  std::string code(200'000, 'a');
  EXPECT_EQ(policy.Evaluate(Code(code), {}).decision, Decision::kAllow);
  EXPECT_EQ(policy.Evaluate(Code(code + "c"), {}).decision, Decision::kDeny);
  EXPECT_EQ(policy.Evaluate(Code("c" + code), {}).decision, Decision::kDeny);
}

TEST(PolicyPrecedence, StrictestWinsThenFileOrder) {
  Policy policy = Load(R"(
[[policy.rule]]
name = "allow-fhir"
binding = "fhir.*"
decision = "allow"

[[policy.rule]]
name = "ask-writes"
operation = "write"
decision = "ask"
reason = "writes"
approvers = "clinical-lead"

[[policy.rule]]
name = "ask-patients"
resource_type = "Patient"
decision = "ask"
reason = "patients"

[[policy.rule]]
name = "deny-deletes"
operation = "delete"
decision = "deny"
reason = "deletes are never automated"
)");
  EXPECT_EQ(policy.Evaluate(Call("fhir.search", "read", "Patient"), {}).rule, "ask-patients");
  auto write = policy.Evaluate(Call("fhir.update", "write", "Patient"), {});
  EXPECT_EQ(write.rule, "ask-writes");  // ties go to the first in file order
  EXPECT_EQ(write.approvers, "clinical-lead");
  EXPECT_EQ(policy.Evaluate(Call("fhir.delete", "delete", "Patient"), {}).rule, "deny-deletes");
  // An explicit allow overrides the default ask for writes.
  auto allowed = policy.Evaluate(Call("fhir.read", "read", "Observation"), {});
  EXPECT_EQ(allowed.rule, "allow-fhir");
  EXPECT_EQ(allowed.decision, Decision::kAllow);
}

TEST(PolicyMax, PastTheLimitTheRuleDenies) {
  Policy policy = Load(R"(
[[policy.rule]]
name = "few-writes"
operation = "write"
decision = "allow"
max = 2

[[policy.rule]]
operation = "write"
resource_type = "Patient"
decision = "ask"
reason = "patients"
max = 5
)");
  auto obs = Call("fhir.create", "write", "Observation");
  auto d = policy.Evaluate(obs, {});
  EXPECT_EQ(d.decision, Decision::kAllow);
  EXPECT_EQ(d.counted, std::vector<std::string>{"few-writes"});
  EXPECT_EQ(policy.Evaluate(obs, {{"few-writes", 1}}).decision, Decision::kAllow);
  d = policy.Evaluate(obs, {{"few-writes", 2}});
  EXPECT_EQ(d.decision, Decision::kDeny);
  EXPECT_EQ(d.rule, "few-writes");
  EXPECT_EQ(d.reason, "rule \"few-writes\" allows at most 2 calls per session");
  // Both rules match and both are counted; the stricter (ask) decides.
  auto patient = Call("fhir.create", "write", "Patient");
  d = policy.Evaluate(patient, {{"few-writes", 1}});
  EXPECT_EQ(d.rule, "rule 2");
  EXPECT_EQ((d.counted), (std::vector<std::string>{"few-writes", "rule 2"}));
  d = policy.Evaluate(patient, {{"rule 2", 5}});
  EXPECT_EQ(d.decision, Decision::kDeny);
  EXPECT_EQ(d.reason, "rule 2 allows at most 5 calls per session");
}

TEST(PolicyMax, ZeroMeansNever) {
  Policy policy = Load("[[policy.rule]]\nbinding = \"x\"\ndecision = \"allow\"\nmax = 0\n");
  EXPECT_EQ(policy.Evaluate(Call("x", "read"), {}).decision, Decision::kDeny);
}

TEST(PolicyParse, ErrorsNameTheSourceTheRuleAndTheKey) {
  std::string e =
      LoadError("[[policy.rule]]\nname = \"r1\"\ndecision = \"allow\"\noperaton = \"x\"\n");
  EXPECT_NE(e.find("test.toml:4"), std::string::npos) << e;
  EXPECT_NE(e.find("rule \"r1\""), std::string::npos) << e;
  EXPECT_NE(e.find("\"operaton\": unknown key"), std::string::npos) << e;

  e = LoadError("[[policy.rule]]\ndecision = \"allow\"\n[[policy.rule]]\ndecision = \"block\"\n");
  EXPECT_NE(e.find("rule 2: \"decision\""), std::string::npos) << e;
  EXPECT_NE(e.find("block"), std::string::npos) << e;

  e = LoadError("[[policy.rule]]\ncode = \"(unclosed\"\ndecision = \"deny\"\nreason = \"r\"\n");
  EXPECT_NE(e.find("rule 1: \"code\": bad regular expression"), std::string::npos) << e;

  e = LoadError("[[policy.rule]]\nname = \"n\"\ndecision = \"deny\"\n");
  EXPECT_NE(e.find("rule \"n\": \"reason\": is required"), std::string::npos) << e;
  e = LoadError("[[policy.rule]]\ndecision = \"ask\"\n");
  EXPECT_NE(e.find("\"reason\""), std::string::npos) << e;
  e = LoadError("[[policy.rule]]\nbinding = \"x\"\n");
  EXPECT_NE(e.find("\"decision\": is required"), std::string::npos) << e;
}

TEST(PolicyParse, BadValuesAreRefused) {
  auto has = [](const std::string& text, const std::string& want) {
    std::string e = LoadError(text);
    EXPECT_NE(e.find(want), std::string::npos) << e;
  };
  has("[[policy.rule]]\noperation = \"erase\"\ndecision = \"allow\"\n", "\"operation\"");
  has("[[policy.rule]]\nresource_type = 3\ndecision = \"allow\"\n", "\"resource_type\"");
  has("[[policy.rule]]\npatient = []\ndecision = \"allow\"\n", "\"patient\"");
  has("[[policy.rule]]\nmax = -1\ndecision = \"allow\"\n", "\"max\"");
  has("[[policy.rule]]\nmax = \"5\"\ndecision = \"allow\"\n", "\"max\"");
  has("[[policy.rule]]\napprovers = \"x\"\ndecision = \"allow\"\n", "\"approvers\"");
  has("[[policy.rule]]\ncode = \"x\"\nbinding = \"y\"\ndecision = \"allow\"\n", "not both");
  has("[[policy.rule]]\ncode = \"(a)\\\\1\"\ndecision = \"allow\"\n", "\"code\"");
  has("[[policy.rule]]\ncode = \"a)(b\"\ndecision = \"allow\"\n", "bad regular expression");
  has("[[policy.rule]]\nname = \"a\"\ndecision = \"allow\"\n[[policy.rule]]\nname = \"a\"\n"
      "decision = \"allow\"\n",
      "unique");
  has("[policy.rule]\ndecision = \"allow\"\n", "[[policy.rule]]");
  has("[[policy.rules]]\ndecision = \"allow\"\n", "\"rules\": unknown table");
  has("policy = 3\n", "[policy]");
  has("[[policy.rule]\n", "test.toml:1");
}

TEST(PolicyExamples, PassingAndFailingExamplesAreReported) {
  Policy policy = Load(R"(
[[policy.rule]]
name = "no-deletes"
binding = "fhir.delete"
connector = "fhir"
operation = "delete"
resource_type = ["Patient", "Observation"]
decision = "deny"
reason = "deletes are never automated"

  [[policy.rule.examples]]
  match = true
  binding = "fhir.delete"
  resource_type = "Patient"
  decision = "deny"

  [[policy.rule.examples]]
  match = false
  binding = "fhir.read"
  resource_type = "Patient"

  [[policy.rule.examples]]
  match = true
  binding = "fhir.delete"
  resource_type = "Encounter"

[[policy.rule]]
name = "no-ctypes"
code = "import\\s+ctypes"
decision = "deny"
reason = "no ctypes"

  [[policy.rule.examples]]
  match = false
  code = "import ctypes"

  [[policy.rule.examples]]
  match = true
  code = "import os"
  decision = "allow"
)");
  EXPECT_EQ(policy.rule_count(), 2u);
  EXPECT_EQ(policy.example_count(), 5u);
  auto failures = policy.CheckExamples();
  ASSERT_EQ(failures.size(), 3u);
  EXPECT_NE(failures[0].find("rule \"no-deletes\", example 3"), std::string::npos) << failures[0];
  EXPECT_NE(failures[0].find("should match the rule but does not"), std::string::npos);
  EXPECT_NE(failures[1].find("rule \"no-ctypes\", example 1"), std::string::npos) << failures[1];
  EXPECT_NE(failures[1].find("should not match the rule but does"), std::string::npos);
  EXPECT_NE(failures[2].find("example 2"), std::string::npos) << failures[2];
}

TEST(PolicyExamples, AWrongExpectedDecisionIsReported) {
  Policy policy = Load(R"(
[[policy.rule]]
binding = "fhir.create"
decision = "allow"
  [[policy.rule.examples]]
  match = true
  binding = "fhir.create"
  decision = "allow"

[[policy.rule]]
resource_type = "Patient"
decision = "ask"
reason = "patients"
  [[policy.rule.examples]]
  match = true
  binding = "fhir.create"
  resource_type = "Patient"
  decision = "allow"
)");
  auto failures = policy.CheckExamples();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("rule 2, example 1"), std::string::npos) << failures[0];
  EXPECT_NE(failures[0].find("the policy decides ask (by rule 2), the example expects allow"),
            std::string::npos)
      << failures[0];
}

TEST(PolicyExamples, ExampleKeysAreChecked) {
  std::string e = LoadError(R"(
[[policy.rule]]
name = "r"
decision = "allow"
  [[policy.rule.examples]]
  match = true
  bindng = "x"
)");
  EXPECT_NE(e.find("rule \"r\" example 1: \"bindng\": unknown key"), std::string::npos) << e;
  e = LoadError(
      "[[policy.rule]]\ndecision = \"allow\"\n[[policy.rule.examples]]\nbinding = \"x\"\n");
  EXPECT_NE(e.find("\"match\": is required"), std::string::npos) << e;
}

TEST(PolicyFile, FromFileReadsAndReportsMissingFiles) {
  auto path = std::filesystem::temp_directory_path() / "ward_policy_test.toml";
  std::ofstream(path) << "[[policy.rule]]\ndecision = \"allow\"\n";
  auto p = Policy::FromFile(path.string());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->rule_count(), 1u);
  std::filesystem::remove(path);
  auto missing = Policy::FromFile(path.string());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(PolicyFile, KeysNestedAHundredThousandDeepAreAnErrorNotACrash) {
  std::string deep = "[[policy.rule]]\ndecision = \"allow\"\n";
  for (int i = 0; i < 100000; ++i) deep += "a.";
  deep += "b = 1\n";
  auto p = Policy::FromToml(deep, "deep.toml");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("deep.toml:3: keys are nested deeper than"),
            std::string::npos)
      << p.status().message();
}

}  // namespace
}  // namespace ward

namespace ward {
namespace {

// Connectors beyond FHIR: statements and effects that cannot be undone ask by
// default, and rules can name them (operation = "execute", reversible = false,
// target for a table or route).
TEST(PolicyConnectors, ExecuteAndIrreversibleWritesAskByDefaultAndRulesCanNameThem) {
  Policy defaults;
  ActionDescriptor execute = Call("reporting.execute", "execute", "");
  execute.reversible = false;
  auto d = defaults.Evaluate(execute, {});
  EXPECT_EQ(d.decision, Decision::kAsk);
  EXPECT_EQ(d.reason, "statements need approval by default");
  ActionDescriptor post = Call("billing.post", "write", "/invoices");
  post.reversible = false;
  EXPECT_EQ(defaults.Evaluate(post, {}).reason,
            "writes that cannot be undone need approval by default");

  Policy policy = Load(R"(
[[policy.rule]]
name = "report-rows"
connector = "reporting"
target = "hba1c_report"
operation = "write"
decision = "allow"

[[policy.rule]]
name = "no-irreversible-billing"
connector = "billing"
reversible = false
decision = "deny"
reason = "billing writes must be undoable"
[[policy.rule.examples]]
binding = "billing.post"
target = "/invoices"
reversible = false
match = true
decision = "deny"
[[policy.rule.examples]]
binding = "billing.put"
match = false
)");
  EXPECT_EQ(policy.Evaluate(Call("reporting.insert", "write", "hba1c_report"), {}).decision,
            Decision::kAllow);
  EXPECT_EQ(policy.Evaluate(Call("reporting.insert", "write", "patients"), {}).decision,
            Decision::kAsk);
  EXPECT_EQ(policy.Evaluate(post, {}).decision, Decision::kDeny);
  ActionDescriptor undoable = Call("billing.put", "write", "/invoices/{id}");
  EXPECT_EQ(policy.Evaluate(undoable, {}).decision, Decision::kAsk);  // the default
  EXPECT_TRUE(policy.CheckExamples().empty());
}

TEST(PolicyConnectors, NewKeysAreCheckedLikeTheOthers) {
  EXPECT_NE(LoadError("[[policy.rule]]\noperation = \"run\"\ndecision = \"allow\"\n")
                .find("must be read, write, delete, execute or control"),
            std::string::npos);
  EXPECT_NE(LoadError("[[policy.rule]]\nreversible = \"no\"\ndecision = \"allow\"\n")
                .find("\"reversible\": must be true or false"),
            std::string::npos);
  EXPECT_NE(LoadError("[[policy.rule]]\ntarget = \"a\"\nresource_type = \"b\"\n"
                      "decision = \"allow\"\n")
                .find("not both"),
            std::string::npos);
}

}  // namespace
}  // namespace ward
