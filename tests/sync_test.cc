// Sync between nodes, in process: offices editing offline, then exchanging.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "sync/sync_session.h"
#include "sync/wire_codec.h"
#include "test_support.h"

namespace accord {
namespace {

using testing::DumpOf;
using testing::FakeClock;
using testing::InProcessTransport;
using testing::NewStore;
using testing::TempDir;

Result<sync::SyncSummary> Sync(Store& client, Store& server,
                               std::function<InProcessTransport::Fault()> fault = nullptr,
                               uint32_t page_size = 1000) {
  InProcessTransport transport(server, client.node_id());
  transport.fault = std::move(fault);
  sync::SyncOptions options;
  options.page_size = page_size;
  return sync::RunSync(client, transport, options);
}

void SyncOk(Store& client, Store& server) {
  auto summary = Sync(client, server);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
}

std::string Put(Store& store, RecordWrite write) {
  auto id = store.Put(write);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return id.ok() ? *id : "";
}

struct Offices {
  TempDir dir;
  FakeClock clock;
  std::unique_ptr<Store> kh = NewStore(dir, "KH-NCCT", clock);
  std::unique_ptr<Store> th = NewStore(dir, "TH-MSDHS", clock);
  std::unique_ptr<Store> border = NewStore(dir, "KH-POIPET", clock);
};

TEST(SyncTest, CapitalsExchangeTheirEditsAndConverge) {
  Offices o;
  std::string plan = Put(*o.kh, {"plan", std::string("plan-1"), {{"title", "Plan of Action"}}});
  Put(*o.th, {"meeting", std::string("mtg-1"), {{"title", "Bilateral"}, {"start_date", "2023-01-18"}}});
  auto summary = Sync(*o.th, *o.kh);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->peer_id, "KH-NCCT");
  EXPECT_EQ(summary->states_received, 1u);
  EXPECT_EQ(summary->states_sent, 2u);
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.th));
  EXPECT_EQ(*o.th->Get(plan)->fields.at("title").value, "Plan of Action");
  // Both now know both offices' writes.
  EXPECT_EQ(o.kh->Knowledge()->ToText(), "KH-NCCT:1,TH-MSDHS:1");
  EXPECT_EQ(o.th->Knowledge()->ToText(), "KH-NCCT:1,TH-MSDHS:1");
}

TEST(SyncTest, ASecondSyncSendsNothingBack) {
  Offices o;
  for (int i = 0; i < 20; ++i) Put(*o.kh, {"party", "p" + std::to_string(i), {{"code", "KH"}, {"name", "n"}}});
  SyncOk(*o.th, *o.kh);
  auto again = Sync(*o.th, *o.kh);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->states_received, 0u);
  EXPECT_EQ(again->states_sent, 0u);
  // And what TH received from KH is not pushed back to KH.
  Put(*o.th, {"party", std::string("p0"), {{"name", "renamed"}}});
  auto third = Sync(*o.th, *o.kh);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->states_sent, 1u);
}

TEST(SyncTest, ConcurrentEditsOfOneFieldBecomeAConflictWithTheSameWinnerEverywhere) {
  Offices o;
  ASSERT_TRUE(o.kh->PutMany({{"plan", std::string("plan-1"), {{"title", "P"}}},
                             {"objective", std::string("obj-1"), {{"plan", "plan-1"}, {"number", "1"}, {"text", "t"}}},
                             {"activity", std::string("act-1.3"), {{"objective", "obj-1"}, {"number", "1.3"}, {"description", "d"}, {"timeframe", "2024"}}}})
                  .ok());
  SyncOk(*o.th, *o.kh);
  Put(*o.kh, {"activity", std::string("act-1.3"), {{"timeframe", "2024-Q2"}}});
  Put(*o.th, {"activity", std::string("act-1.3"), {{"timeframe", "2024-Q3"}}});
  auto summary = Sync(*o.th, *o.kh);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->new_conflicts, 1u);
  EXPECT_EQ(summary->peer_new_conflicts, 1u);
  for (Store* s : {o.kh.get(), o.th.get()}) {
    auto record = s->Get("act-1.3");
    ASSERT_EQ(record->conflicts.count("timeframe"), 1u) << s->node_id();
    EXPECT_EQ(record->conflicts.at("timeframe").size(), 2u);
    EXPECT_EQ(s->GetStatus()->open_conflicts, 1);
  }
  EXPECT_EQ(*o.kh->Get("act-1.3")->fields.at("timeframe").value,
            *o.th->Get("act-1.3")->fields.at("timeframe").value);
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.th));

  // A reviewer's write dominates both values and closes the conflict everywhere.
  ASSERT_TRUE(o.th->WriteResolution("act-1.3", "timeframe", std::string("2024-Q3"), "kept TH-MSDHS").ok());
  SyncOk(*o.th, *o.kh);
  EXPECT_EQ(o.kh->GetStatus()->open_conflicts, 0);
  EXPECT_EQ(*o.kh->Get("act-1.3")->fields.at("timeframe").value, "2024-Q3");
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.th));
}

TEST(SyncTest, ConcurrentWritesOfTheSameValueAreNotAConflict) {
  Offices o;
  Put(*o.kh, {"plan", std::string("plan-1"), {{"title", "P"}}});
  SyncOk(*o.th, *o.kh);
  Put(*o.kh, {"plan", std::string("plan-1"), {{"status", "signed"}}});
  Put(*o.th, {"plan", std::string("plan-1"), {{"status", "signed"}}});
  SyncOk(*o.th, *o.kh);
  EXPECT_EQ(o.kh->GetStatus()->open_conflicts, 0);
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.th));
}

TEST(SyncTest, BorderOfficeEditsReachTheOtherCapitalThroughItsOwnCapital) {
  Offices o;
  Put(*o.border, {"case", std::string("case-KH-2023-014"), {{"reference", "KH-2023-014"}, {"step", "returned"}, {"return_checkpoint", "Poi Pet"}}});
  SyncOk(*o.border, *o.kh);
  SyncOk(*o.kh, *o.th);
  auto at_th = o.th->Get("case-KH-2023-014");
  ASSERT_TRUE(at_th.ok());
  EXPECT_EQ(at_th->fields.at("step").origin, "KH-POIPET");
  Put(*o.th, {"case", std::string("case-KH-2023-014"), {{"step", "transit_centre"}}});
  SyncOk(*o.kh, *o.th);
  SyncOk(*o.border, *o.kh);
  EXPECT_EQ(*o.border->Get("case-KH-2023-014")->fields.at("step").value, "transit_centre");
  EXPECT_EQ(DumpOf(*o.border), DumpOf(*o.th));
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.th));
}

TEST(SyncTest, DeleteAgainstAConcurrentEditIsAConflictAndKeepsTheRecordVisible) {
  Offices o;
  Put(*o.kh, {"plan", std::string("plan-1"), {{"title", "P"}}});
  SyncOk(*o.th, *o.kh);
  ASSERT_TRUE(o.kh->Delete("plan-1").ok());
  Put(*o.th, {"plan", std::string("plan-1"), {{"status", "finalized"}}});
  auto summary = Sync(*o.th, *o.kh);
  ASSERT_TRUE(summary.ok());
  EXPECT_GE(summary->new_conflicts + summary->peer_new_conflicts, 2u);
  for (Store* s : {o.kh.get(), o.th.get()}) {
    auto record = s->Get("plan-1");
    EXPECT_FALSE(record->deleted) << s->node_id();
    EXPECT_TRUE(record->delete_conflict) << s->node_id();
    EXPECT_EQ(s->GetStatus()->open_conflicts, 1);
  }
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.th));
  // Confirming the delete dominates the edit: deleted everywhere.
  ASSERT_TRUE(o.kh->WriteResolution("plan-1", kDeletedField, std::string("1"), "delete confirmed").ok());
  SyncOk(*o.th, *o.kh);
  EXPECT_TRUE(o.th->Get("plan-1")->deleted);
  EXPECT_EQ(o.th->GetStatus()->open_conflicts, 0);
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.th));
}

TEST(SyncTest, ADeleteThatSawTheEditWins) {
  Offices o;
  Put(*o.kh, {"plan", std::string("plan-1"), {{"title", "P"}}});
  SyncOk(*o.th, *o.kh);
  Put(*o.th, {"plan", std::string("plan-1"), {{"status", "finalized"}}});
  SyncOk(*o.th, *o.kh);
  ASSERT_TRUE(o.kh->Delete("plan-1").ok());
  SyncOk(*o.th, *o.kh);
  EXPECT_TRUE(o.th->Get("plan-1")->deleted);
  EXPECT_EQ(o.th->GetStatus()->open_conflicts, 0);
}

TEST(SyncTest, ApplyingTheSamePageTwiceChangesNothing) {
  Offices o;
  for (int i = 0; i < 10; ++i) Put(*o.kh, {"party", "p" + std::to_string(i), {{"code", "KH"}, {"name", "n"}}});
  auto page = o.kh->ReadChanges(0, 100, VersionVector());
  ASSERT_TRUE(page.ok());
  auto first = o.th->ApplyRemote(page->states, "KH-NCCT", page->next_cursor, nullptr);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->applied, 20u);
  std::string after_first = DumpOf(*o.th);
  auto second = o.th->ApplyRemote(page->states, "KH-NCCT", page->next_cursor, nullptr);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->applied, 0u);
  EXPECT_EQ(second->unchanged, 20u);
  EXPECT_EQ(DumpOf(*o.th), after_first);
}

TEST(SyncTest, PagesAreBoundedAndACutLinkResumesWithoutLossOrDuplication) {
  Offices o;
  std::vector<RecordWrite> batch;
  for (int i = 0; i < 500; ++i) {
    batch.push_back({"party", "p" + std::to_string(i), {{"code", "KH"}, {"name", "party " + std::to_string(i)}}});
  }
  ASSERT_TRUE(o.kh->PutMany(batch).ok());
  for (int i = 0; i < 300; ++i) Put(*o.th, {"party", "t" + std::to_string(i), {{"code", "TH"}, {"name", "n"}}});
  std::mt19937 rng(7);
  int attempts = 0;
  while (true) {
    ++attempts;
    auto result = Sync(*o.th, *o.kh, [&] {
      int roll = static_cast<int>(rng() % 10);
      return roll == 0 ? InProcessTransport::Fault::kDropRequest
                       : roll == 1 ? InProcessTransport::Fault::kDropReply : InProcessTransport::Fault::kNone;
    }, 37);
    if (result.ok()) break;
    EXPECT_EQ(result.status().code(), Code::kUnavailable);
    ASSERT_LT(attempts, 200);
  }
  EXPECT_GT(attempts, 1);
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.th));
  EXPECT_EQ(o.kh->GetStatus()->records_per_type["party"], 800);
  // Each version was stored once: the history holds no duplicates.
  auto count = o.kh->db().Prepare("SELECT count(*) FROM versions");
  ASSERT_TRUE(*(*count)->Step());
  EXPECT_EQ((*count)->Int(0), 1600);
  (*count)->Reset();
}

// ---- Bad input: rejected with a clear error, nothing applied.

class BadPushTest : public ::testing::Test {
 protected:
  Offices o;
  std::string before;
  void SetUp() override {
    Put(*o.kh, {"plan", std::string("plan-1"), {{"title", "P"}}});
    before = DumpOf(*o.kh);
  }
  sync::ServiceReply Send(const std::string& body, const std::string& op = "push") {
    sync::SyncService service(*o.kh);
    return service.Handle(op, body, "TH-MSDHS");
  }
  std::string PushOf(const std::vector<wire::FieldState>& states) {
    wire::Envelope envelope;
    auto* push = envelope.mutable_push_request();
    push->set_next_cursor(5);
    for (const auto& s : states) *push->mutable_changes()->add_states() = s;
    return sync::EncodeFrame(envelope, "TH-MSDHS");
  }
  wire::FieldState GoodState() {
    FieldVersion v;
    v.record_id = "plan-2";
    v.record_type = "plan";
    v.field = "title";
    v.value = "From TH";
    v.version.Set("TH-MSDHS", 1);
    v.origin = "TH-MSDHS";
    v.origin_time_ms = 1;
    wire::FieldState s;
    sync::ToWire(v, &s);
    return s;
  }
  void ExpectRejected(const sync::ServiceReply& reply, int http, const std::string& part) {
    EXPECT_EQ(reply.http_status, http);
    auto decoded = sync::DecodeFrame(reply.body);
    ASSERT_TRUE(decoded.ok());
    ASSERT_TRUE(decoded->has_error());
    EXPECT_NE(decoded->error().message().find(part), std::string::npos) << decoded->error().message();
    EXPECT_EQ(DumpOf(*o.kh), before);
  }
};

TEST_F(BadPushTest, GarbageBody) { ExpectRejected(Send("not a frame at all"), 400, "compressed data is damaged"); }

TEST_F(BadPushTest, TruncatedBody) {
  std::string frame = PushOf({GoodState(), GoodState()});
  ExpectRejected(Send(frame.substr(0, frame.size() / 2)), 400, "truncated");
}

TEST_F(BadPushTest, FutureProtocolVersion) {
  wire::Envelope envelope;
  envelope.mutable_push_request();
  std::string bytes;
  envelope.set_protocol_version(sync::kProtocolVersion + 1);
  envelope.set_node_id("TH-MSDHS");
  ExpectRejected(Send(sync::Compress(envelope.SerializeAsString())), 400, "protocol version 2");
}

TEST_F(BadPushTest, UnknownField) {
  wire::FieldState bad = GoodState();
  bad.set_field("budget");
  // A good state before the bad one must not be applied either.
  ExpectRejected(Send(PushOf({GoodState(), bad})), 400, "no field 'budget'");
}

TEST_F(BadPushTest, VectorThatGoesBackwards) {
  wire::FieldState bad = GoodState();
  auto* entry = bad.add_version();
  entry->set_node("TH-MSDHS");
  entry->set_counter(3);  // a second, unsorted entry for the same node
  ExpectRejected(Send(PushOf({bad})), 400, "not sorted");
  wire::FieldState claims_ours = GoodState();
  claims_ours.clear_version();
  auto* kh = claims_ours.add_version();
  kh->set_node("KH-NCCT");
  kh->set_counter(99);
  auto* th = claims_ours.add_version();
  th->set_node("TH-MSDHS");
  th->set_counter(1);
  ExpectRejected(Send(PushOf({claims_ours})), 400, "claims write 99 by this node");
}

TEST_F(BadPushTest, NodeIdThatDoesNotMatchTheConnection) {
  wire::Envelope envelope;
  envelope.mutable_hello_request();
  ExpectRejected(Send(sync::EncodeFrame(envelope, "KH-POIPET"), "hello"), 403, "authenticated as TH-MSDHS");
}

TEST_F(BadPushTest, PushThatLeavesAGap) {
  wire::Envelope envelope;
  auto* push = envelope.mutable_push_request();
  push->set_from_cursor(10);
  push->set_next_cursor(12);
  ExpectRejected(Send(sync::EncodeFrame(envelope, "TH-MSDHS")), 409, "resume from there");
}

// ---- Convergence: many offices, random edits and deletes, random syncs.

struct WriteKey {
  std::string record, field;
  bool operator<(const WriteKey& o) const { return std::tie(record, field) < std::tie(o.record, o.field); }
};

// Every version any node ever wrote, from each node's own history.
std::map<WriteKey, std::vector<FieldVersion>> AllWrites(std::vector<std::unique_ptr<Store>>& nodes) {
  std::map<WriteKey, std::vector<FieldVersion>> writes;
  for (auto& node : nodes) {
    auto stmt = node->db().Prepare("SELECT record_id, field, value, vv, origin FROM versions WHERE origin = ?");
    (*stmt)->Bind(1, node->node_id());
    while (*(*stmt)->Step()) {
      FieldVersion v;
      v.record_id = (*stmt)->Text(0);
      v.field = (*stmt)->Text(1);
      v.value = (*stmt)->OptionalText(2);
      v.version = VersionVector::FromText((*stmt)->Text(3)).value();
      v.origin = (*stmt)->Text(4);
      writes[{v.record_id, v.field}].push_back(v);
    }
    (*stmt)->Reset();
  }
  return writes;
}

void RunConvergence(uint32_t seed, int node_count, int rounds) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  TempDir dir;
  FakeClock clock;
  std::vector<std::unique_ptr<Store>> nodes;
  for (int i = 0; i < node_count; ++i) nodes.push_back(NewStore(dir, "N" + std::to_string(i), clock));
  std::mt19937 rng(seed);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const std::vector<std::string> names = {"alpha", "beta", "gamma"};
  const std::vector<std::string> kinds = {"government", "observer", "secretariat"};
  int record_serial = 0;
  for (int round = 0; round < rounds; ++round) {
    Store& node = *nodes[pick(nodes.size())];
    int action = static_cast<int>(pick(10));
    auto parties = node.List("party");
    ASSERT_TRUE(parties.ok());
    if (action < 2 || parties->empty()) {
      Put(node, {"party", "r" + std::to_string(record_serial++), {{"code", "C"}, {"name", names[pick(3)]}}});
    } else if (action < 7) {
      const auto& target = (*parties)[pick(parties->size())];
      std::string field = pick(2) ? "name" : "kind";
      std::string value = field == "name" ? names[pick(3)] : kinds[pick(3)];
      Put(node, {"party", target.id, {{field, value}}});
    } else if (action == 7) {
      ASSERT_TRUE(node.Delete((*parties)[pick(parties->size())].id).ok());
    } else {
      size_t a = pick(nodes.size()), b = pick(nodes.size());
      if (a == b) continue;
      // Some syncs are cut short; the next one between the pair resumes.
      auto result = Sync(*nodes[a], *nodes[b], [&] {
        return pick(6) == 0 ? InProcessTransport::Fault::kDropReply : InProcessTransport::Fault::kNone;
      }, 3);
      if (!result.ok()) {
        ASSERT_EQ(result.status().code(), Code::kUnavailable) << result.status().ToString();
      }
    }
  }
  // A final full exchange: a chain there and back reaches everyone.
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 1; i < nodes.size(); ++i) SyncOk(*nodes[i], *nodes[0]);
  }
  std::string reference = DumpOf(*nodes[0]);
  for (auto& node : nodes) EXPECT_EQ(DumpOf(*node), reference) << node->node_id();

  // No write lost: the live versions of each field are exactly the writes no
  // other write dominates, and differing ones are an open conflict.
  auto writes = AllWrites(nodes);
  for (const auto& [key, versions] : writes) {
    std::set<std::string> maximal;
    std::set<std::optional<std::string>> values;
    for (const auto& v : versions) {
      bool dominated = false;
      for (const auto& w : versions) {
        if (v.version.Compare(w.version) == Order::kBefore) dominated = true;
      }
      if (!dominated) {
        maximal.insert(v.version.ToText());
        values.insert(v.value);
      }
    }
    for (auto& node : nodes) {
      auto live = node->db().Prepare("SELECT vv FROM versions WHERE record_id = ? AND field = ? AND state > 0");
      (*live)->Bind(1, key.record).Bind(2, key.field);
      std::set<std::string> held;
      while (*(*live)->Step()) held.insert((*live)->Text(0));
      (*live)->Reset();
      EXPECT_EQ(held, maximal) << node->node_id() << " " << key.record << "." << key.field;
      auto conflict = node->db().Prepare("SELECT count(*) FROM conflicts WHERE record_id = ? AND field = ?");
      (*conflict)->Bind(1, key.record).Bind(2, key.field);
      ASSERT_TRUE(*(*conflict)->Step());
      if (key.field != kDeletedField) {
        EXPECT_EQ((*conflict)->Int(0), values.size() > 1 ? 1 : 0) << key.record << "." << key.field;
      }
      (*conflict)->Reset();
    }
  }
}

TEST(ConvergenceTest, ThreeNodesRandomEditsDeletesAndCutSyncs) {
  for (uint32_t seed : {1u, 2u, 3u, 4u, 5u}) RunConvergence(seed, 3, 300);
}

TEST(ConvergenceTest, FiveNodesManyRounds) {
  for (uint32_t seed : {11u, 12u}) RunConvergence(seed, 5, 600);
}

}  // namespace
}  // namespace accord
