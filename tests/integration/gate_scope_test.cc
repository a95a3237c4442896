// The gate end to end against the attacks on what it decides and what approvers
// see: an approval covers exactly the versions the approver saw, the policy decides
// on every entry and every patient a call can touch, and text from the model
// reaches approvers only quoted — the real ward binary, a scripted model and the
// real embedded EHR.
#include <gtest/gtest.h>
#include <unistd.h>

#include "gate_fixture.h"

namespace ward::testing {
namespace {

using nlohmann::json;

// ---- An approval covers exactly what the approver saw ----

TEST_F(GateTest, AnApprovedUpdateDoesNotOverwriteAChangeNoOneApproved) {
  std::string id = CreatePatientDirectly("Stale");
  json pending;
  std::string err =
      ApproveAfterAClinicianEdit(id,
                                 "p = fhir.read('Patient', '" + id +
                                     "')\np['gender'] = 'female'\n"
                                     "try:\n    fhir.update(p)\n    print('updated')\n"
                                     "except ConflictError as e:\n    print('conflict:', e)",
                                 &pending);
  EXPECT_EQ(pending["action"]["before"]["meta"]["versionId"], "1") << pending.dump();
  EXPECT_NE(err.find("conflict: nothing was written"), std::string::npos) << err;
  json now = ReadPatient(id);
  EXPECT_EQ(now.value("birthDate", ""), "1970-01-01") << "the clinician's change was overwritten";
  EXPECT_FALSE(now.contains("gender")) << now.dump();
  auto stale = AuditEntries("approval_stale");
  ASSERT_EQ(stale.size(), 1u);
  EXPECT_EQ(stale[0]["data"]["approval"], pending["id"]);
  // Wherever approvals are listed, this one reads as stale, not as approved.
  auto all = json::parse(RunWard({"approvals", "list", "--all", "--json"}, env_).out);
  json listed;
  for (const auto& a : all)
    if (a["id"] == pending["id"]) listed = a;
  ASSERT_TRUE(listed.is_object()) << all.dump();
  EXPECT_EQ(listed["state"], "stale") << listed.dump();
}

// An update that creates (the id did not exist when it was prepared) is sent only
// on condition that the resource still does not exist: one a clinician created
// meanwhile is not overwritten — alone or as a transaction entry.
TEST_F(GateTest, AnApprovedUpdateThatCreatesDoesNotOverwriteAResourceCreatedMeanwhile) {
  for (bool in_bundle : {false, true}) {
    std::string id =
        std::string(in_bundle ? "made-in-bundle-" : "made-meanwhile-") + std::to_string(getpid());
    std::string resource = "{'resourceType': 'Patient', 'id': '" + id + "', 'gender': 'female'}";
    std::string write = in_bundle
                            ? "fhir.transaction([{'resource': " + resource +
                                  ", 'request': {'method': 'PUT', 'url': 'Patient/" + id + "'}}])"
                            : "fhir.update(" + resource + ")";
    json pending;
    std::string err = ApproveAfterAClinicianRuns(
        "try:\n    " + write +
            "\n    print('written')\nexcept ConflictError as e:\n    print('conflict:', e)",
        "fhir.update({'resourceType': 'Patient', 'id': '" + id +
            "', 'birthDate': '1970-01-01'})\nfinish('created')",
        &pending);
    EXPECT_NE(err.find("conflict: nothing was written"), std::string::npos) << err;
    json now = ReadPatient(id);
    EXPECT_EQ(now.value("birthDate", ""), "1970-01-01") << "the clinician's resource was replaced";
    EXPECT_FALSE(now.contains("gender")) << now.dump();
  }
  EXPECT_EQ(AuditEntries("approval_stale").size(), 2u);
}

TEST_F(GateTest, AnApprovedDeleteDoesNotDeleteAVersionNoOneSaw) {
  std::string id = CreatePatientDirectly("StaleDelete");
  json pending;
  std::string err =
      ApproveAfterAClinicianEdit(id,
                                 "try:\n    fhir.delete('Patient', '" + id +
                                     "')\n    print('deleted')\n"
                                     "except ConflictError as e:\n    print('conflict:', e)",
                                 &pending);
  EXPECT_NE(err.find("conflict: nothing was written"), std::string::npos) << err;
  EXPECT_EQ(ReadPatient(id).value("birthDate", ""), "1970-01-01");
  EXPECT_EQ(AuditEntries("approval_stale").size(), 1u);
}

TEST_F(GateTest, AnApprovedTransactionShowsEachEntryAndWritesOnlyWhatWasSeen) {
  std::string id = CreatePatientDirectly("StaleBundle");
  json pending;
  std::string err = ApproveAfterAClinicianEdit(
      id,
      "p = fhir.read('Patient', '" + id +
          "')\np['gender'] = 'male'\n"
          "try:\n    fhir.transaction([{'resource': p, 'request': {'method': 'PUT', 'url': "
          "'Patient/" +
          id +
          "'}}])\n    print('written')\n"
          "except ConflictError as e:\n    print('conflict:', e)",
      &pending);
  EXPECT_NE(pending["summary"].get<std::string>().find("fhir.update Patient/" + id),
            std::string::npos)
      << pending["summary"];
  ASSERT_EQ(pending["action"]["actions"].size(), 2u) << pending.dump();
  EXPECT_EQ(pending["action"]["actions"][1]["version"], "1");
  EXPECT_EQ(pending["action"]["actions"][1]["before"]["meta"]["versionId"], "1");
  EXPECT_EQ(pending["action"]["actions"][1]["after"]["gender"], "male");
  EXPECT_NE(err.find("conflict: nothing was written"), std::string::npos) << err;
  json now = ReadPatient(id);
  EXPECT_EQ(now.value("birthDate", ""), "1970-01-01");
  EXPECT_FALSE(now.contains("gender")) << now.dump();
}

// ---- Connectors by name ----

// A second FHIR connector ([connectors.labs]) is the guest's `labs` object: its
// calls are decided, audited and journaled as `labs`, a rule on connector "labs"
// governs it and not `fhir`, and rollback undoes its writes.
TEST_F(GateTest, ASecondFhirConnectorIsItsOwnObjectPolicyNameAndJournal) {
  WriteToml("[connectors.labs]\ntype = \"fhir\"\nbase_url = \"" + *url_ +
            "\"\n\n"
            "[[policy.rule]]\nname = \"labs-writes\"\nconnector = \"labs\"\n"
            "operation = \"write\"\ndecision = \"allow\"\n");
  auto r = RunWard({"run", "--model",
                    "scripted:" + Transcript({"p = labs.create({'resourceType': 'Patient', "
                                              "'name': [{'family': 'Labs'}]})\n"
                                              "finish(p['id'])"}),
                    "x"},
                   env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string id = r.out.substr(0, r.out.find('\n'));
  EXPECT_TRUE(PatientExists(id));
  json create;
  for (const auto& call : AuditEntries("binding_call"))
    if (call["data"]["binding"] == "labs.create") create = call;
  ASSERT_TRUE(create.is_object()) << "no labs.create in the audit log";
  EXPECT_EQ(create["data"]["rule"], "labs-writes") << "the labs rule did not decide";
  auto sessions = json::parse(RunWard({"sessions", "list", "--json"}, env_).out);
  std::string session = sessions[0]["id"];
  auto undo = RunWard({"rollback", session}, env_);
  EXPECT_EQ(undo.exit_code, 0) << undo.err << undo.out;
  EXPECT_FALSE(PatientExists(id)) << "rollback did not undo the labs write";
  auto steps = AuditEntries("rollback_step");
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0]["data"]["connector"], "labs");

  // The same write through `fhir` is not covered by the labs rule: it asks.
  WardProcess asks({"run", "--model",
                    "scripted:" + Transcript({"fhir.create({'resourceType': 'Patient'})"}), "x"},
                   env_);
  json pending = WaitForPendingApproval();
  asks.Signal(SIGTERM);
  asks.Wait(20'000);
  ASSERT_TRUE(pending.is_object());
  EXPECT_NE(pending["summary"].get<std::string>().find("fhir.create"), std::string::npos);
}

// ---- The policy decides on what will execute ----

TEST_F(GateTest, ATransactionIsDecidedEntryByEntry) {
  std::string id = CreatePatientDirectly("BundleDelete");
  WriteToml(
      "[[policy.rule]]\nname = \"writes\"\noperation = \"write\"\ndecision = \"allow\"\n\n"
      "[[policy.rule]]\nname = \"no-deletes\"\nbinding = \"fhir.delete\"\ndecision = \"deny\"\n"
      "reason = \"never\"\n");
  auto r = RunWard({"run", "--model",
                    "scripted:" + Transcript({"try:\n    fhir.transaction([{'request': "
                                              "{'method': 'DELETE', 'url': 'Patient/" +
                                                  id +
                                                  "'}}])\n    print('deleted')\n"
                                                  "except PermissionDenied as e:\n"
                                                  "    print('denied:', e)",
                                              "finish('ok')"}),
                    "x"},
                   env_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("denied: refused by policy (no-deletes)"), std::string::npos) << r.err;
  EXPECT_TRUE(PatientExists(id)) << "a DELETE inside a transaction passed a delete deny";
}

// Every way the reproduction passed a deny scoped to one patient.
TEST_F(GateTest, APatientScopedDenyHoldsForEveryWayOfNamingThePatient) {
  std::string id = CreatePatientDirectly("Protected");
  std::string other = CreatePatientDirectly("Other");
  auto made = RunAllowed("setup-obs",
                         "o = fhir.create({'resourceType': 'Observation', 'status': 'final', "
                         "'code': {'text': 'note'}, 'subject': {'reference': 'Patient/" +
                             id + "'}})\nfinish(o['id'])");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  std::string observation = made.out.substr(0, made.out.size() - 1);
  auto theirs = RunAllowed("setup-other-obs",
                           "o = fhir.create({'resourceType': 'Observation', 'status': 'final', "
                           "'code': {'text': 'note'}, 'subject': {'reference': 'Patient/" +
                               other + "'}})\nfinish(o['id'])");
  ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
  std::string other_observation = theirs.out.substr(0, theirs.out.size() - 1);
  WriteToml(
      "[[policy.rule]]\nname = \"all\"\nbinding = \"*\"\ndecision = \"allow\"\n\n"
      "[[policy.rule]]\nname = \"protected\"\npatient = \"" +
      id + "\"\ndecision = \"deny\"\nreason = \"protected patient\"\n");
  std::string P = "'" + id + "'", O = "'" + other + "'";
  std::vector<std::string> attempts = {
      "fhir.read('Observation', '" + observation + "')",
      "fhir.search('Observation', patient=[" + P + "])",
      "fhir.search('Observation', **{'subject:Patient': " + P + "})",
      "fhir.search('Observation', patient=" + P + " + ',' + " + O + ")",
      "fhir.search('Patient', _id=[" + P + "])",
      "fhir.search('Encounter', patient=" + O + ", _include='Encounter:subject')",
      "fhir.transaction([{'resource': {'resourceType': 'Observation', 'status': 'final', "
      "'code': {'text': 'x'}, 'subject': {'reference': 'Patient/' + " +
          P + "}}, 'request': {'method': 'POST', 'url': 'Observation'}}])",
      "fhir.create({'resourceType': 'Observation', 'status': 'final', 'code': {'text': 'x'}, "
      "'subject': {'reference': 'Patient/' + " +
          P + " + '/_history/1'}})",
      "fhir.create({'resourceType': 'Appointment', 'status': 'proposed', 'participant': "
      "[{'actor': {'reference': 'Patient/' + " +
          P + "}, 'status': 'needs-action'}]})",
      "fhir.update({'resourceType': 'Observation', 'id': '" + observation +
          "', 'status': 'final', 'code': {'text': 'note'}, 'subject': {'reference': 'Patient/' "
          "+ " +
          O + "}})",
  };
  std::string code = "import json\nresults = []\n";
  for (const auto& attempt : attempts)
    code += "try:\n    " + attempt +
            "\n    results.append('allowed')\nexcept PermissionDenied:\n"
            "    results.append('denied')\nexcept Exception as e:\n"
            "    results.append('error ' + type(e).__name__ + ': ' + str(e)[:80])\n";
  // Another patient's data stays readable: the rule is not a blanket refusal.
  code += "fhir.search('Observation', patient=" + O + ")\nfhir.read('Observation', '" +
          other_observation + "')\nfinish(json.dumps(results))";
  auto r = RunWard({"run", "--model", "scripted:" + Transcript({code}), "x"}, env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json results = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(results.is_array()) << r.out << r.err;
  ASSERT_EQ(results.size(), attempts.size());
  for (size_t i = 0; i < attempts.size(); ++i) EXPECT_EQ(results[i], "denied") << attempts[i];
}

TEST_F(GateTest, ArgumentsOfTheWrongShapeAreRefusedBeforeThePolicy) {
  WriteToml(
      "[[policy.rule]]\nname = \"reads-ask\"\nbinding = \"fhir.read\"\ndecision = \"ask\"\n"
      "reason = \"every read is checked\"\n");
  auto r = RunWard({"run", "--model",
                    "scripted:" + Transcript({"try:\n    fhir.read('Patient', ['a', 'b'])\n"
                                              "except ValueError as e:\n    print('refused:', e)",
                                              "finish('ok')"}),
                    "x"},
                   env_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("refused: fhir.read(): id must be"), std::string::npos) << r.err;
  auto calls = AuditEntries("binding_call");
  ASSERT_GE(calls.size(), 1u);
  EXPECT_EQ(calls[0]["data"]["binding"], "fhir.read");
  EXPECT_EQ(calls[0]["data"]["rule"], "arguments") << calls[0].dump();
  EXPECT_TRUE(AuditEntries("approval_requested").empty()) << "a malformed call reached the policy";
}

// ---- What reaches approvers is what ward vouches for ----

TEST_F(GateTest, TextFromTheModelReachesTheApprovalSummaryOnlyQuotedAndTruncated) {
  WardProcess run({"run", "--model",
                   "scripted:" + Transcript({"try:\n    fhir.create({'resourceType': "
                                             "'Observation', 'status': 'final', 'code': "
                                             "{'text': 'x'}, 'subject': {'reference': 'Patient/"
                                             "Jane Doe, DOB 1970-01-01, MRN 12345, HIV+'}})\n"
                                             "except Exception as e:\n    print(e)",
                                             "finish('ok')"}),
                   "x"},
                  env_);
  json pending = WaitForPendingApproval();
  ASSERT_TRUE(pending.is_object()) << run.Wait(10'000).err;
  std::string summary = pending["summary"];
  EXPECT_EQ(summary.find("MRN"), std::string::npos) << summary;
  EXPECT_EQ(summary.find("HIV"), std::string::npos) << summary;
  EXPECT_NE(summary.find("unknown patients (model text \"Patient/Jane Doe, DOB 19…\")"),
            std::string::npos)
      << summary;
  EXPECT_EQ(RunWard({"deny", pending["id"]}, env_).exit_code, 0);
  run.Wait(30'000);
}

}  // namespace
}  // namespace ward::testing
