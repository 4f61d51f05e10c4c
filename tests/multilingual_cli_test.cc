// The command line with the sample's Khmer, Thai, Vietnamese and Chinese
// values (issue 10): loaded, read back byte for byte, found by `--where`, and
// written by `put` as officers type them.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/cli_support.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using nlohmann::json;
using testing::Accord;
using testing::CommandResult;
using testing::TempDir;

class MultilingualCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node = dir.File("node");
    ASSERT_EQ(Accord(node, {"init", "--node-id", "KH-POIPET"}).code, 0);
    ASSERT_EQ(Accord(node, {"load", SAMPLE_DATA}).code, 0);
  }
  json Get(const std::string& id) { return json::parse(Accord(node, {"get", id, "--json"}).out); }
  // Ids of the records of `type` whose FIELD=VALUE, as `accord list --where` gives them.
  std::vector<std::string> Where(const std::string& type, const std::string& assignment) {
    CommandResult listed = Accord(node, {"list", type, "--where", assignment, "--json"});
    EXPECT_EQ(listed.code, 0) << assignment;
    std::vector<std::string> ids;
    for (const json& record : json::parse(listed.out)) ids.push_back(record["id"]);
    return ids;
  }
  TempDir dir;
  std::string node;
};

using Ids = std::vector<std::string>;

TEST_F(MultilingualCliTest, LoadedValuesReadBackAsWritten) {
  json poipet = Get("mtg-2023-02-10-poipet");
  EXPECT_EQ(poipet["fields"]["title"],
            "កិច្ចប្រជុំក្រុមការងារបច្ចេកទេសស្តីពីការទទួល "
            "និងការគ្រប់គ្រងករណីជនរងគ្រោះនៃការជួញដូរមនុស្ស នៅច្រកព្រំដែនអន្តរជាតិប៉ោយប៉ែត");
  EXPECT_EQ(poipet["fields"]["city"], "ក្រុងប៉ោយប៉ែត ខេត្តបន្ទាយមានជ័យ");
  EXPECT_EQ(Get("pt-2023-03-15-01")["fields"]["organisation"],
            "กระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์");
  EXPECT_EQ(Get("mtg-2022-06-15-tayninh")["fields"]["title"],
            "Cuộc họp song phương Việt Nam – Campuchia về hồi hương nạn nhân bị mua bán");
  EXPECT_EQ(Get("act-khcn-2017-1")["fields"]["sub_steps"],
            "起草行动计划草案\n审议行动计划草案\n召开会议，最终确定行动计划草案");
  // The plain-text view prints the same characters (a terminal shows glyphs).
  CommandResult text = Accord(node, {"get", "min-2023-03-15-2"});
  EXPECT_EQ(text.code, 0);
  EXPECT_NE(text.out.find("จุดผ่านแดนถาวรบ้านคลองลึก–ปอยเปต"), std::string::npos) << text.out;
}

TEST_F(MultilingualCliTest, WhereFindsKhmerThaiVietnameseAndChineseValues) {
  EXPECT_EQ(Where("participant", "name=นายสมชาย ศรีสุข"), Ids{"pt-2023-03-15-01"});
  EXPECT_EQ(Where("participant", "name=นางสาวสุดารัตน์ ใจดี"),
            (Ids{"pt-2023-02-10-04", "pt-2023-03-15-02"}));
  EXPECT_EQ(Where("participant", "name=លោកស្រី ចាន់ សុភា"),
            (Ids{"pt-2023-02-10-02", "pt-2023-03-15-04"}));
  EXPECT_EQ(Where("minute", "speaker=លោក សុខ វណ្ណា"), Ids{"min-2023-02-10-1"});
  EXPECT_EQ(Where("meeting", "city=ក្រុងប៉ោយប៉ែត ខេត្តបន្ទាយមានជ័យ"), Ids{"mtg-2023-02-10-poipet"});
  EXPECT_EQ(Where("meeting",
                  "title=Cuộc họp song phương Việt Nam – Campuchia về hồi hương nạn "
                  "nhân bị mua bán"),
            Ids{"mtg-2022-06-15-tayninh"});
  EXPECT_EQ(Where("participant", "name=Trung tá Trần Thị Mai Anh"), Ids{"pt-2022-06-15-01"});
  EXPECT_EQ(Where("activity", "responsible_agency=中柬双方"), Ids{"act-khcn-2017-2"});
  // Same letters without the Vietnamese diacritics are a different value.
  EXPECT_EQ(Where("participant", "name=Trung ta Tran Thi Mai Anh"), Ids{});
}

TEST_F(MultilingualCliTest, PutWritesWhatOfficersTypeInEachLanguage) {
  // Poi Pet records an action item in Khmer, for the Thai provincial office.
  CommandResult put = Accord(
      node, {"put", "action_item", "--id", "ai-2023-02-10-2", "meeting=mtg-2023-02-10-poipet",
             "number=2", "action=រៀបចំការប្រគល់ជនរងគ្រោះចំនួន ៣ នាក់ នៅច្រកព្រំដែនប៉ោយប៉ែត",
             "responsible_party=สำนักงานพัฒนาสังคมและความมั่นคงของมนุษย์จังหวัดสระแก้ว", "due=ខែមីនា ឆ្នាំ២០២៣",
             "status=open"});
  ASSERT_EQ(put.code, 0);
  EXPECT_EQ(put.out, "ai-2023-02-10-2\n");
  json item = Get("ai-2023-02-10-2");
  EXPECT_EQ(item["fields"]["action"], "រៀបចំការប្រគល់ជនរងគ្រោះចំនួន ៣ នាក់ នៅច្រកព្រំដែនប៉ោយប៉ែត");
  EXPECT_EQ(item["fields"]["responsible_party"], "สำนักงานพัฒนาสังคมและความมั่นคงของมนุษย์จังหวัดสระแก้ว");
  EXPECT_EQ(Where("action_item", "due=ខែមីនា ឆ្នាំ២០២៣"), Ids{"ai-2023-02-10-2"});

  // A Vietnamese minute over two lines, and a Chinese plan title.
  ASSERT_EQ(Accord(node, {"put", "minute", "--id", "min-2022-06-15-2",
                          "text=Phía Campuchia đã bàn giao 7 nạn nhân.\nHai bên cảm ơn IOM."})
                .code,
            0);
  EXPECT_EQ(Get("min-2022-06-15-2")["fields"]["text"],
            "Phía Campuchia đã bàn giao 7 nạn nhân.\nHai bên cảm ơn IOM.");
  CommandResult plan =
      Accord(node, {"put", "plan", "title=中柬打击拐卖人口联合行动计划（2020–2022年）",
                    "parties=KH,CN", "status=draft"});
  ASSERT_EQ(plan.code, 0);
  std::string plan_id = plan.out.substr(0, plan.out.size() - 1);
  EXPECT_EQ(Get(plan_id)["fields"]["title"], "中柬打击拐卖人口联合行动计划（2020–2022年）");

  // History keeps the Vietnamese value it replaced.
  json history = json::parse(Accord(node, {"history", "min-2022-06-15-2", "text", "--json"}).out);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_NE(history[0]["value"].get<std::string>().find("tỉnh Svay Rieng"), std::string::npos);
}

TEST_F(MultilingualCliTest, SearchFindsThaiAndKhmerWordsInsideSentences) {
  // "Poipet" in Thai, at the end of a minute's sentence about the checkpoint.
  CommandResult thai = Accord(node, {"search", "ปอยเปต", "--json"});
  ASSERT_EQ(thai.code, 0);
  json found = json::parse(thai.out);
  std::set<std::string> where;
  for (const json& hit : found["hits"]) {
    where.insert(hit["record_id"].get<std::string>() + "." + hit["field"].get<std::string>());
  }
  EXPECT_EQ(where.count("min-2023-03-15-2.text"), 1u) << thai.out;
  for (const json& hit : found["hits"]) {
    EXPECT_NE(hit["snippet"].get<std::string>().find("[ปอยเปต]"), std::string::npos) << hit;
  }
  // "trafficking" in Khmer, inside the Poi Pet meeting's title; the text
  // output names the record by its label and the field.
  CommandResult khmer = testing::AccordWithMessages(node, {"search", "ជួញដូរ", "--type", "meeting"});
  ASSERT_EQ(khmer.code, 0) << khmer.out;
  EXPECT_NE(khmer.out.find("mtg-2023-02-10-poipet  .title"), std::string::npos) << khmer.out;
  EXPECT_NE(khmer.out.find("[ជួញដូរ]"), std::string::npos) << khmer.out;
  EXPECT_NE(khmer.out.find("field(s) matched"), std::string::npos);
  // Nothing to search for, or an unknown type: bad usage or a clear error.
  EXPECT_EQ(Accord(node, {"search"}).code, 2);
  CommandResult unknown =
      testing::AccordWithMessages(node, {"search", "ជួញដូរ", "--type", "meetings"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_NE(unknown.out.find("unknown record type 'meetings'"), std::string::npos) << unknown.out;
}

TEST_F(MultilingualCliTest, ASignedMeetingEditedAfterSigningShowsAsAmended) {
  CommandResult signed_now =
      Accord(node, {"sign", "mtg-2023-02-10-poipet", "--signatory", "លោក សុខ វណ្ណា", "--title",
                    "ប្រធានគណៈប្រតិភូ", "--on", "2023-02-10", "--json"});
  ASSERT_EQ(signed_now.code, 0);
  json sign = json::parse(signed_now.out);
  EXPECT_EQ(sign["signs"], "mtg-2023-02-10-poipet");
  EXPECT_NE(sign["covers"].get<std::string>().find("minute"), std::string::npos) << sign;
  json checks = json::parse(Accord(node, {"signatures", "mtg-2023-02-10-poipet", "--json"}).out);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0]["signatory"], "លោក សុខ វណ្ណា");
  EXPECT_TRUE(checks[0]["intact"].get<bool>());

  // A minute of that meeting edited after the signing.
  ASSERT_EQ(
      Accord(node, {"put", "minute", "--id", "min-2023-02-10-1", "speaker=លោកស្រី ចាន់ សុភា"}).code, 0);
  checks = json::parse(Accord(node, {"signatures", "mtg-2023-02-10-poipet", "--json"}).out);
  EXPECT_FALSE(checks[0]["intact"].get<bool>());
  ASSERT_EQ(checks[0]["amended"].size(), 1u);
  EXPECT_EQ(checks[0]["amended"][0]["kind"], "changed");
  EXPECT_EQ(checks[0]["amended"][0]["id"], "min-2023-02-10-1");
  CommandResult text = Accord(node, {"signatures", "mtg-2023-02-10-poipet"});
  EXPECT_NE(text.out.find("AMENDED since signing: 1 record(s)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("changed: minute"), std::string::npos) << text.out;
  CommandResult get = Accord(node, {"get", "mtg-2023-02-10-poipet"});
  EXPECT_NE(get.out.find("signed by លោក សុខ វណ្ណា on 2023-02-10: AMENDED since"), std::string::npos)
      << get.out;
  // A signed plan: the plan report says which activity changed since.
  ASSERT_EQ(Accord(node, {"sign", "plan-khth-2023", "--signatory", "นายสมชาย ศรีสุข"}).code, 0);
  json plan = json::parse(Accord(node, {"report", "plan", "plan-khth-2023", "--json"}).out);
  ASSERT_EQ(plan["signatures"].size(), 1u);
  EXPECT_TRUE(plan["signatures"][0]["intact"].get<bool>());
  ASSERT_EQ(
      Accord(node, {"put", "activity", "--id", "act-khth-2023-1.1", "timeframe=2024-Q3"}).code, 0);
  plan = json::parse(Accord(node, {"report", "plan", "plan-khth-2023", "--json"}).out);
  EXPECT_FALSE(plan["signatures"][0]["intact"].get<bool>());
  size_t amended = 0;
  for (const json& objective : plan["objectives"]) {
    for (const json& activity : objective["activities"]) {
      if (activity["amended_since_signing"].get<bool>()) {
        ++amended;
        EXPECT_EQ(activity["id"], "act-khth-2023-1.1");
      }
    }
  }
  EXPECT_EQ(amended, 1u);
  CommandResult report = Accord(node, {"report", "plan", "plan-khth-2023"});
  EXPECT_NE(report.out.find("signed by นายสมชาย ศรีสุข"), std::string::npos) << report.out;
  EXPECT_NE(report.out.find("AMENDED since signing (1 record(s))"), std::string::npos);
  EXPECT_NE(report.out.find("[amended since signing]"), std::string::npos);
  // Only a meeting or a plan can be signed.
  EXPECT_EQ(Accord(node, {"sign", "min-2023-02-10-1", "--signatory", "x"}).code, 1);
  EXPECT_EQ(Accord(node, {"sign", "mtg-2023-02-10-poipet"}).code, 2);  // no --signatory
}

// A minute holding a name typed by mistake is purged after a search indexed
// it: nothing of it stays in the index, the database file or its WAL.
TEST_F(MultilingualCliTest, APurgedMinuteLeavesNothingInTheSearchIndex) {
  const std::string marker = "อยู่ระหว่างการติดตามครอบครัว";
  json before = json::parse(Accord(node, {"search", marker, "--json"}).out);
  ASSERT_EQ(before["hits"].size(), 1u);
  ASSERT_EQ(before["hits"][0]["record_id"], "min-2023-03-15-2");
  // A purge order is signed with the node's key.
  std::string ca = dir.File("ca");
  ASSERT_EQ(Accord("", {"cert", "ca", "--out", ca}).code, 0);
  ASSERT_EQ(Accord(node, {"cert", "node", "--ca-dir", ca}).code, 0);
  ASSERT_EQ(Accord(node, {"purge", "min-2023-03-15-2", "--reason", "ชื่อผู้เสียหายพิมพ์ผิดที่"}).code, 0);
  json after = json::parse(Accord(node, {"search", marker, "--json"}).out);
  EXPECT_TRUE(after["hits"].empty()) << after;
  std::string bytes;
  for (const char* file : {"/accord.db", "/accord.db-wal"}) {
    std::ifstream in(node + file, std::ios::binary);
    bytes += std::string(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_EQ(bytes.find(marker), std::string::npos);
  EXPECT_EQ(bytes.find("ปอยเปต\nอีก 3 ราย"), std::string::npos);
  // The rest of the index still answers.
  EXPECT_FALSE(json::parse(Accord(node, {"search", "ជួញដូរ", "--json"}).out)["hits"].empty());
}

}  // namespace
}  // namespace accord
