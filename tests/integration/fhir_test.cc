// The fhir.* bindings end to end: the real ward binary runs a scripted agent whose
// code reads and writes the real embedded EHR (`ward ehr serve`, loaded with the
// Synthea patients) through the gate.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "ehr_fixture.h"
#include "store/store.h"
#include "ward_process.h"

namespace ward::testing {
namespace {

using nlohmann::json;

// These tests exercise the bindings, not the policy: writes are allowed outright.
class FhirTest : public EhrFixture {
 protected:
  void SetUp() override {
    EhrFixture::SetUp();
    std::ofstream(home_ / "ward.toml") << "[[policy.rule]]\nname = \"allow-all\"\n"
                                          "binding = \"*\"\ndecision = \"allow\"\n";
  }
};

TEST_F(FhirTest, DemoTranscriptAnswersTheLatestHbA1c) {
  std::string transcript = std::string(getenv("WARD_SOURCE_DIR")) + "/examples/demo/hba1c.jsonl";
  auto r = RunWard({"run", "--model", "scripted:" + transcript,
                    "What is Marcos Delagarza's latest HbA1c, and when was it measured?"},
                   env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Checked by hand against the Synthea bundle: the newest 4548-4 Observation for
  // Marcos Delagarza is 6.165756530671108 % on 2021-01-10.
  EXPECT_NE(r.out.find("6.2%, measured on 2021-01-10"), std::string::npos) << r.out;
  auto calls = AuditEntries("binding_call");
  ASSERT_EQ(calls.size(), 3u);  // search Patient, search Observation, finish
  const json& search = calls[1]["data"];
  EXPECT_EQ(search["binding"], "fhir.search");
  EXPECT_EQ(search["method"], "GET");
  EXPECT_EQ(search["http_status"], 200);
  EXPECT_NE(search["url"].get<std::string>().find("/Observation?"), std::string::npos);
  EXPECT_FALSE(search["resource_ids"].empty());
  EXPECT_EQ(search["body_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(RunWard({"audit", "verify"}, env_).exit_code, 0);
}

TEST_F(FhirTest, ServerErrorsReachTheCodeAsFhirErrorWithTheOutcome) {
  auto r = RunWard({"run", "--model",
                    "scripted:" + Transcript({"try:\n    fhir.read('Patient', 'no-such-patient')\n"
                                              "except FhirError as e:\n    print('caught', e)",
                                              "try:\n    fhir.search('Patient', frobnicate='x')\n"
                                              "except FhirError as e:\n    print('caught', e)",
                                              "try:\n    fhir.read('patient; DROP', '1')\n"
                                              "except ValueError as e:\n    print('refused', e)",
                                              "finish('done')"}),
                    "probe errors"},
                   env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("caught HTTP 404 from GET"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("caught HTTP 400"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("frobnicate"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("refused fhir.read(): resource_type must be"), std::string::npos) << r.err;
}

TEST_F(FhirTest, CreateUpdateDeleteThroughTheBindings) {
  auto r = RunWard(
      {"run", "--model",
       "scripted:" +
           Transcript({"p = fhir.create({'resourceType': 'Patient', 'name': [{'family': "
                       "'Gatekeeper', 'given': ['Test']}], 'gender': 'female'})\n"
                       "print(p['id'], p['meta']['versionId'])",
                       "p['gender'] = 'other'\nu = fhir.update(p)\nprint(u['meta']['versionId'])",
                       "found = fhir.search('Patient', family='Gatekeeper')\nprint(len(found))",
                       "fhir.delete('Patient', p['id'])\n"
                       "try:\n    fhir.read('Patient', p['id'])\nexcept FhirError as e:\n"
                       "    print('gone', str(e)[:8])",
                       "finish(u['gender'])"}),
       "create, update, delete"},
      env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "other\n");
  EXPECT_NE(r.err.find("    2\n"), std::string::npos) << r.err;  // versionId after update
  EXPECT_NE(r.err.find("gone HTTP 410"), std::string::npos) << r.err;
  auto calls = AuditEntries("binding_call");
  ASSERT_GE(calls.size(), 4u);
  EXPECT_EQ(calls[0]["data"]["method"], "POST");
  EXPECT_EQ(calls[0]["data"]["http_status"], 201);
}

TEST_F(FhirTest, TransactionIsAllOrNothingThroughTheBinding) {
  auto r = RunWard(
      {"run", "--model",
       "scripted:" +
           Transcript({"entries = [\n"
                       "  {'fullUrl': 'urn:uuid:11111111-2222-3333-4444-555555555555',\n"
                       "   'resource': {'resourceType': 'Patient', 'name': [{'family': 'Txn'}]},\n"
                       "   'request': {'method': 'POST', 'url': 'Patient'}},\n"
                       "  {'resource': {'resourceType': 'Observation', 'status': 'final',\n"
                       "    'code': {'text': 'note'},\n"
                       "    'subject': {'reference': "
                       "'urn:uuid:11111111-2222-3333-4444-555555555555'}},\n"
                       "   'request': {'method': 'POST', 'url': 'Observation'}}]\n"
                       "out = fhir.transaction(entries)\n"
                       "print(out['type'], len(out['entry']))",
                       "import copy\nbad = copy.deepcopy(entries)\n"
                       "bad.append({'resource': {'resourceType': 'Observation', 'status': "
                       "'not-a-status', 'code': {'text': 'x'}}, 'request': {'method': 'POST', "
                       "'url': 'Observation'}})\n"
                       "bad[0]['resource']['name'][0]['family'] = 'TxnRolledBack'\n"
                       "try:\n    fhir.transaction(bad)\nexcept FhirError as e:\n"
                       "    print('refused', str(e)[:8])\n"
                       "print('rolled back:', len(fhir.search('Patient', family='TxnRolledBack')))",
                       "finish(len(fhir.search('Patient', family='Txn')))"}),
       "transaction"},
      env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("transaction-response 2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("refused HTTP 4"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rolled back: 0"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "1\n");
}

TEST_F(FhirTest, SearchFollowsNextLinksAndSaysWhenItStopped) {
  auto r = RunWard({"run", "--model",
                    "scripted:" + Transcript({"few = fhir.search('Patient', _count=2)\n"
                                              "many = fhir.search('Observation', _count=5)\n"
                                              "print(len(few), len(many))",
                                              "finish('ok')"}),
                    "paging"},
                   env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 7 Synthea patients (plus any the other tests created), fetched 2 per page.
  EXPECT_NE(r.err.find("stopped after 20 pages and 100 resources"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" 100\n"), std::string::npos) << r.err;
}

TEST_F(FhirTest, TheSystemPromptDocumentsTheBindings) {
  auto r = RunWard({"exec", "--json", "--model",
                    "scripted:" + Transcript({"finish(fhir.read.__doc__[:20])"}), "doc"},
                   env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Read one resource by"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace ward::testing
