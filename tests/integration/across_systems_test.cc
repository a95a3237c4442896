// One session, several systems: the real ward binary, a scripted model, the
// embedded EHR (connector `fhir`) and an SQLite reporting database (connector
// `reporting`). Rollback undoes the writes of both in reverse order; a conflict
// in one system stops it there, saying which system and row, and leaves the
// earlier writes of the others in place.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "gate_fixture.h"

namespace ward::testing {
namespace {

using nlohmann::json;

class AcrossSystemsTest : public GateTest {
 protected:
  void SetUp() override {
    GateTest::SetUp();
    db_ = (home_ / "report.db").string();
    Sql("CREATE TABLE hba1c_report (patient TEXT PRIMARY KEY, value REAL NOT NULL, "
        "observation TEXT)");
    WriteToml("[connectors.reporting]\ntype = \"sql\"\ndsn = \"" + db_ +
              "\"\ntables = [\"hba1c_report\"]\n\n"
              "[[policy.rule]]\nname = \"report-and-chart\"\nconnector = [\"fhir\", "
              "\"reporting\"]\noperation = \"write\"\ndecision = \"allow\"\n");
  }

  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
    sqlite3_free(err);
    sqlite3_close(db);
  }
  int Rows() {
    sqlite3* db = nullptr;
    sqlite3_open(db_.c_str(), &db);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM hba1c_report", -1, &st, nullptr);
    int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
  }
  // Runs the code as one session; returns its id and the Observation it created.
  std::pair<std::string, std::string> RunSession(const std::string& patient) {
    auto r = RunWard(
        {"run", "--model",
         "scripted:" +
             Transcript({"o = fhir.create({'resourceType': 'Observation', 'status': 'final', "
                         "'code': {'text': 'HbA1c'}, 'subject': {'reference': 'Patient/" +
                         patient +
                         "'}, 'valueQuantity': {'value': 6.2, 'unit': '%'}})\n"
                         "reporting.insert('hba1c_report', {'patient': '" +
                         patient +
                         "', 'value': 6.2, 'observation': o['id']})\n"
                         "finish(o['id'])"}),
         "report"},
        env_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto sessions = json::parse(RunWard({"sessions", "list", "--json"}, env_).out);
    return {sessions[0]["id"], r.out.substr(0, r.out.find('\n'))};
  }
  bool ObservationExists(const std::string& id) {
    auto r = RunAllowed("check", "try:\n    fhir.read('Observation', '" + id +
                                     "')\n    finish('yes')\nexcept FhirError:\n    finish('no')");
    return r.out.rfind("yes", 0) == 0;
  }

  std::string db_;
};

TEST_F(AcrossSystemsTest, RollbackUndoesEverySystemInReverseOrder) {
  std::string patient = CreatePatientDirectly("Across");
  auto [session, observation] = RunSession(patient);
  ASSERT_EQ(Rows(), 1);
  ASSERT_TRUE(ObservationExists(observation));
  auto undo = RunWard({"rollback", session}, env_);
  EXPECT_EQ(undo.exit_code, 0) << undo.err << undo.out;
  EXPECT_EQ(Rows(), 0);
  EXPECT_FALSE(ObservationExists(observation));
  auto steps = AuditEntries("rollback_step");
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0]["data"]["connector"], "reporting") << "not in reverse order";
  EXPECT_EQ(steps[1]["data"]["connector"], "fhir");
}

TEST_F(AcrossSystemsTest, AConflictInOneSystemStopsThereAndSaysWhichSystemAndRow) {
  std::string patient = CreatePatientDirectly("AcrossConflict");
  auto [session, observation] = RunSession(patient);
  Sql("UPDATE hba1c_report SET value = 7.1");  // someone corrects the row afterwards
  auto undo = RunWard({"rollback", session}, env_);
  EXPECT_NE(undo.exit_code, 0);
  EXPECT_NE(undo.out.find("conflict"), std::string::npos) << undo.out;
  EXPECT_NE(undo.out.find("reporting hba1c_report"), std::string::npos) << undo.out;
  EXPECT_EQ(Rows(), 1) << "the corrected row was undone";
  EXPECT_TRUE(ObservationExists(observation)) << "rollback went past the conflict";
}

// A dry run writes to no system; its changeset is applied later — the SQL rows
// only while the table is still as the dry run saw it.
TEST_F(AcrossSystemsTest, ADryRunWritesNothingAndItsChangesetAppliesTheRowsLater) {
  std::string code =
      "reporting.insert('hba1c_report', {'patient': 'p-dry', 'value': 7.4})\n"
      "reporting.insert('hba1c_report', {'patient': 'p-dry-2', 'value': 5.9})\n"
      "finish('planned')";
  auto r = RunWard({"run", "--dry-run", "--model", "scripted:" + Transcript({code}), "plan"}, env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Rows(), 0) << "a dry run wrote a row";
  auto sessions = json::parse(RunWard({"sessions", "list", "--json"}, env_).out);
  std::string session = sessions[0]["id"];
  auto shown = json::parse(RunWard({"changeset", "show", session, "--json"}, env_).out);
  ASSERT_EQ(shown.size(), 2u);
  EXPECT_EQ(shown[0]["state"], "planned");

  Sql("INSERT INTO hba1c_report (patient, value) VALUES ('p-dry-2', 6.0)");  // drift
  auto drifted = RunWard({"changeset", "apply", session}, env_);
  EXPECT_NE(drifted.exit_code, 0);
  EXPECT_EQ(Rows(), 1) << "applied despite drift";
  Sql("DELETE FROM hba1c_report");
  auto applied = RunWard({"changeset", "apply", session}, env_);
  EXPECT_EQ(applied.exit_code, 0) << applied.err << applied.out;
  EXPECT_EQ(Rows(), 2);
  auto undo = RunWard({"rollback", session}, env_);
  EXPECT_EQ(undo.exit_code, 0) << undo.err << undo.out;
  EXPECT_EQ(Rows(), 0);
}

// A row that holds the id of a resource the same dry run created is applied with
// the id the resource really got, not the simulated one.
TEST_F(AcrossSystemsTest, AppliedRowsCarryTheRealIdsOfResourcesTheDryRunCreated) {
  std::string patient = CreatePatientDirectly("AcrossDry");
  std::string code =
      "o = fhir.create({'resourceType': 'Observation', 'status': 'final', 'code': {'text': "
      "'HbA1c'}, 'subject': {'reference': 'Patient/" +
      patient +
      "'}})\n"
      "reporting.insert('hba1c_report', {'patient': '" +
      patient +
      "', 'value': 6.2, 'observation': o['id']})\n"
      "finish(o['id'])";
  auto r = RunWard({"run", "--dry-run", "--model", "scripted:" + Transcript({code}), "plan"}, env_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string simulated = r.out.substr(0, r.out.find('\n'));
  ASSERT_EQ(simulated.rfind("dryrun-", 0), 0u) << r.out;
  auto sessions = json::parse(RunWard({"sessions", "list", "--json"}, env_).out);
  auto applied = RunWard({"changeset", "apply", sessions[0]["id"]}, env_);
  ASSERT_EQ(applied.exit_code, 0) << applied.err << applied.out;

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT observation FROM hba1c_report", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  std::string stored = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_NE(stored, simulated) << "the row kept the dry run's simulated id";
  EXPECT_TRUE(ObservationExists(stored)) << stored;
}

}  // namespace
}  // namespace ward::testing
