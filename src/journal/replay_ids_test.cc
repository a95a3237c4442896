#include "journal/replay_ids.h"

#include <gtest/gtest.h>

namespace ward {
namespace {

using nlohmann::json;

const ReplayIds kIds = {{"Patient/dryrun-3", "Patient/8f2c"},
                        {"Observation/dryrun-4", "Observation/77"}};

TEST(ReplayIdsTest, ReferencesAndBareIdsAreRewrittenAtAnyDepth) {
  json v = {{"subject", {{"reference", "Patient/dryrun-3"}}},
            {"patient_id", "dryrun-3"},
            {"results", json::array({"Observation/dryrun-4", 5, nullptr})}};
  RewriteReplayIds(v, kIds);
  EXPECT_EQ(v["subject"]["reference"], "Patient/8f2c");
  EXPECT_EQ(v["patient_id"], "8f2c");
  EXPECT_EQ(v["results"][0], "Observation/77");
  EXPECT_EQ(v["results"][1], 5);
}

TEST(ReplayIdsTest, StringsThatOnlyContainAnIdAndKeysAreLeftAlone) {
  json v = {{"note", "see Patient/dryrun-3"}, {"dryrun-3", "x"}, {"other", "dryrun-30"}};
  RewriteReplayIds(v, kIds);
  EXPECT_EQ(v["note"], "see Patient/dryrun-3");
  EXPECT_TRUE(v.contains("dryrun-3"));
  EXPECT_EQ(v["other"], "dryrun-30");
}

TEST(ReplayIdsTest, OneString) {
  EXPECT_EQ(RewriteReplayId("Patient/dryrun-3", kIds), "Patient/8f2c");
  EXPECT_EQ(RewriteReplayId("Patient/3", kIds), "Patient/3");
  EXPECT_EQ(RewriteReplayId("dryrun-4", {}), "dryrun-4");
}

}  // namespace
}  // namespace ward
