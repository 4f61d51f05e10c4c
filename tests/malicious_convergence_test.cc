// The randomized convergence run (tests/convergence.h) with a malicious
// office among the honest ones (issue 9). XX-STOLEN holds a valid
// certificate of the deployment (a laptop stolen with its node directory)
// and takes part like any office: it writes, deletes and syncs at random.
// But what it relays of the others it alters or renumbers, it forges writes
// in their names, signs writes of its own that claim to have seen writes the
// others never made, vouches for knowledge it cannot have (theirs, the
// receiver's, made-up offices'), and replays pages it sent before; as a
// server it does the same to the pages and knowledge it answers with. All at
// random, from a fixed seed, in process. And as a server it sometimes
// answers in an honest office's name.
//
// The four honest offices must end with identical dumps, every honest write
// kept, nothing that XX-STOLEN forged or altered anywhere in their stores,
// and no knowledge beyond what each office really wrote.
//
// What XX-STOLEN does not do here: withhold its own writes from one office
// while vouching past them to it (or renumber its own). Offices would then
// disagree about XX-STOLEN's own writes, and only about those
// (docs/security.md, "What a certificate holder can do").
#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tests/convergence.h"
#include "tests/store_peek.h"
#include "tests/tamper.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using testing::InProcessTransport;

constexpr char kStolen[] = "XX-STOLEN";
constexpr char kMarker[] = "ข้อมูลปลอม";  // "forged data": every value XX-STOLEN makes up

// What XX-STOLEN does to what passes through it, and how often it did it.
class Malice {
 public:
  // It reads its own database through a connection of its own: its
  // transport runs beside its sync, which uses the node's Store.
  Malice(const std::string& db_path, std::vector<std::string> honest, uint32_t seed)
      : own_(Store::Open(db_path).value()), self_(*own_), honest_(std::move(honest)), rng_(seed) {}

  const sync::NodeSigner& Key() { return *testing::CredentialsFor(self_).signer; }

  // One of its tricks on one page of changes, or none.
  void Tamper(wire::SignedChanges* changes) {
    switch (rng_() % 8) {
      case 0:
        Alter(changes);
        break;
      case 1:
        Renumber(changes);
        break;
      case 2:
        Forge(changes);
        break;
      case 3:
        Shadow(changes);
        break;
      default:
        break;  // passed on as it came
    }
  }

  // Over-claims in a last page's knowledge, half the time.
  void Overclaim(wire::Knowledge* knowledge, const std::string& receiver) {
    if (rng_() % 2) return;
    std::map<std::string, uint64_t> entries;
    for (const auto& e : knowledge->entries()) entries[e.node()] = e.counter();
    for (const auto& office : honest_) entries[office] = (uint64_t{1} << 53) - 1;
    entries[receiver] = std::numeric_limits<int64_t>::max();
    entries[kStolen] += 1000;  // no seal proves those
    int made_up = static_cast<int>(rng_() % 600);
    for (int i = 0; i < made_up; ++i) entries["ZZ-" + std::to_string(1000 + i)] = 1;
    knowledge->clear_entries();
    for (const auto& [node, counter] : entries) {
      auto* e = knowledge->add_entries();
      e->set_node(node);
      e->set_counter(counter);
    }
    ++done["over-claimed knowledge"];
  }

  // As a server, answers a hello now and then in an honest office's name,
  // to be taken for it: to be pushed that office's data, to vouch for its
  // writes and to move its cursor.
  // Every fifth hello, by count: drawing from rng_ would change the other
  // tricks' sequence.
  void Impersonate(wire::Envelope& reply) {
    if (++hellos_ % 5 != 0) return;
    reply.set_node_id(honest_[(hellos_ / 5) % honest_.size()]);
    ++done["answered in another office's name"];
  }

  // A genuine push frame it sent before, to replay later (the latest 20).
  void Capture(const std::string& frame) {
    if (captured_.size() == 20) captured_.erase(captured_.begin());
    captured_.push_back(frame);
  }
  const std::string* PickReplay() {
    if (captured_.empty() || rng_() % 6 != 0) return nullptr;
    ++done["replayed a page"];
    return &captured_[rng_() % captured_.size()];
  }

  std::map<std::string, int> done;

 private:
  // States of the page written by an honest office (relayed by XX-STOLEN).
  std::vector<int> Relayed(const wire::SignedChanges& changes) {
    std::vector<int> relayed;
    for (int i = 0; i < changes.states_size(); ++i) {
      if (testing::Parsed(changes.states(i)).origin() != kStolen) relayed.push_back(i);
    }
    return relayed;
  }

  void Alter(wire::SignedChanges* changes) {
    auto relayed = Relayed(*changes);
    if (relayed.empty()) return;
    testing::AlterState(changes, relayed[rng_() % relayed.size()], [&](wire::FieldState& s) {
      s.set_has_value(true);
      s.set_value(std::string(kMarker) + " " + std::to_string(++serial_));
    });
    ++done["altered a relayed write"];
  }

  void Renumber(wire::SignedChanges* changes) {
    auto relayed = Relayed(*changes);
    if (relayed.empty()) return;
    int index = relayed[rng_() % relayed.size()];
    wire::FieldState s = testing::Parsed(changes->states(index));
    uint64_t counter = testing::EntryOf(s, s.origin());
    testing::Renumber(changes, index, counter + 1 + rng_() % 1000, rng_() % 2 == 0);
    ++done["renumbered a relayed write"];
  }

  // A write in an honest office's name, signed with XX-STOLEN's own key,
  // offering its own certificate or passing it off as the victim's.
  void Forge(wire::SignedChanges* changes) {
    const std::string& victim = honest_[rng_() % honest_.size()];
    uint64_t counter = 1 + rng_() % 300;
    auto forged = testing::SealedAs({testing::StateOf(Target(), "party", "name", kMarker, victim,
                                                      {{victim, counter}}, 1700000000000)},
                                    Key(), 0, rng_() % 2 ? victim : "");
    Append(changes, forged);
    ++done["forged a write in another office's name"];
  }

  // A write of its own, validly signed, whose vector claims it saw writes of
  // an honest office that no seal proves (so that it would dominate them).
  // Sealed under a unit number its real writes never use, at a counter it
  // has used, so that the seal proves nothing new of XX-STOLEN.
  void Shadow(wire::SignedChanges* changes) {
    uint64_t own = self_.Knowledge()->Get(kStolen);
    if (own == 0) return;
    const std::string& victim = honest_[rng_() % honest_.size()];
    uint64_t claimed = self_.Knowledge()->Get(victim) + 1000 + rng_() % 1000;
    auto shadow = testing::SealedAs(
        {testing::StateOf(Target(), "party", "name", kMarker, kStolen,
                          {{kStolen, 1 + rng_() % own}, {victim, claimed}}, 1700000000000)},
        Key(), 1000 + ++serial_);
    Append(changes, shadow);
    ++done["claimed unseen writes (shadowing)"];
  }

  // A party record XX-STOLEN holds, or a new id.
  std::string Target() {
    auto parties = self_.List("party");
    if (parties.ok() && !parties->empty()) return (*parties)[rng_() % parties->size()].id;
    return "forged-" + std::to_string(++serial_);
  }

  static void Append(wire::SignedChanges* changes, const wire::SignedChanges& extra) {
    for (const auto& s : extra.states()) changes->add_states(s);
    for (const auto& u : extra.units()) *changes->add_units() = u;
    for (const auto& c : extra.certificates()) *changes->add_certificates() = c;
  }

  std::unique_ptr<Store> own_;
  Store& self_;
  std::vector<std::string> honest_;
  std::mt19937 rng_;
  int hellos_ = 0;
  std::vector<std::string> captured_;
  int serial_ = 0;
};

// XX-STOLEN syncing with an honest office: its pushes are tampered with.
class StolenClient : public sync::Transport {
 public:
  StolenClient(sync::Transport& inner, Malice& malice) : inner_(inner), malice_(malice) {}
  Result<std::string> RoundTrip(std::string_view op, const std::string& request) override {
    if (op != sync::kOpPush) return inner_.RoundTrip(op, request);
    if (const std::string* old = malice_.PickReplay()) {
      (void)inner_.RoundTrip(op, *old);  // whatever the office says of it
    }
    malice_.Capture(request);
    wire::Envelope envelope = testing::Decoded(request);
    auto* push = envelope.mutable_push_request();
    malice_.Tamper(push->mutable_signed_changes());
    if (push->done()) malice_.Overclaim(push->mutable_knowledge(), receiver_);
    return inner_.RoundTrip(op, testing::Encoded(envelope, envelope.node_id()));
  }
  std::string receiver_;

 private:
  sync::Transport& inner_;
  Malice& malice_;
};

// An honest office syncing with XX-STOLEN: its answers are tampered with.
class StolenServer : public sync::Transport {
 public:
  StolenServer(sync::Transport& inner, Malice& malice, std::string client)
      : inner_(inner), malice_(malice), client_(std::move(client)) {}
  Result<std::string> RoundTrip(std::string_view op, const std::string& request) override {
    auto reply = inner_.RoundTrip(op, request);
    if (!reply.ok()) return reply;
    wire::Envelope envelope = testing::Decoded(*reply);
    if (envelope.has_hello_reply()) {
      malice_.Overclaim(envelope.mutable_hello_reply()->mutable_knowledge(), client_);
      malice_.Impersonate(envelope);
    } else if (envelope.has_pull_reply()) {
      auto* pull = envelope.mutable_pull_reply();
      malice_.Tamper(pull->mutable_signed_changes());
      if (pull->done()) malice_.Overclaim(pull->mutable_knowledge(), client_);
    } else {
      return reply;
    }
    return testing::Encoded(envelope, envelope.node_id());
  }

  std::string AuthenticatedPeer() const override { return inner_.AuthenticatedPeer(); }

 private:
  sync::Transport& inner_;
  Malice& malice_;
  std::string client_;
};

// Every version `holder` keeps is one its origin wrote, byte for byte: same
// record, field, value, vector and time in the origin's own store.
void ExpectOnlyGenuineWrites(Store& holder, const std::map<std::string, Store*>& writers) {
  auto held = testing::PeekDb(holder).Prepare(
      "SELECT record_id, field, value, vv, origin, origin_time FROM versions");
  ASSERT_TRUE(held.ok());
  int checked = 0;
  while (*(*held)->Step()) {
    std::string record = (*held)->Text(0), field = (*held)->Text(1), vv = (*held)->Text(3),
                origin = (*held)->Text(4);
    std::optional<std::string> value = (*held)->OptionalText(2);
    int64_t time = (*held)->Int(5);
    auto writer = writers.find(origin);
    if (writer == writers.end()) {
      ADD_FAILURE() << holder.node_id() << " holds " << record << "." << field << " from " << origin
                    << ", which is no office";
      continue;
    }
    auto own = testing::PeekDb(*writer->second)
                   .Prepare(
                       "SELECT count(*) FROM versions WHERE origin = ? AND record_id = ? AND "
                       "field = ? AND vv = ? AND value IS ? AND origin_time = ?");
    ASSERT_TRUE(own.ok());
    (*own)->Bind(1, origin).Bind(2, record).Bind(3, field).Bind(4, vv).BindOptional(5, value).Bind(
        6, time);
    ASSERT_TRUE(*(*own)->Step());
    EXPECT_EQ((*own)->Int(0), 1) << holder.node_id() << " holds " << record << "." << field << " = "
                                 << value.value_or("(cleared)") << " [" << vv << "] as " << origin
                                 << "'s, which " << origin << " never wrote";
    (*own)->Reset();
    ++checked;
  }
  (*held)->Reset();
  EXPECT_GT(checked, 0);
}

void RunWithAStolenCertificate(uint32_t seed, int rounds) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  testing::TempDir dir;
  testing::FakeClock clock;
  std::vector<std::unique_ptr<Store>> stores;
  const std::vector<std::string> honest = {"KH-NCCT", "TH-MSDHS", "KH-POIPET", "VN-MOLISA"};
  for (const auto& id : honest) stores.push_back(testing::NewStore(dir, id, clock));
  stores.push_back(testing::NewStore(dir, kStolen, clock));
  std::vector<Store*> nodes;
  std::map<std::string, Store*> by_id;
  for (auto& s : stores) {
    nodes.push_back(s.get());
    by_id[s->node_id()] = s.get();
  }
  Store& stolen = *stores.back();
  Malice malice(dir.File(std::string(kStolen) + ".db"), honest, seed * 7919);
  int honest_syncs = 0;

  testing::RunConvergence(
      seed, nodes, rounds,
      [&](Store& client, Store& server, std::function<bool()> cut) -> Result<sync::SyncSummary> {
        InProcessTransport direct(server, client.node_id());
        direct.fault = [cut] {
          return cut() ? InProcessTransport::Fault::kDropReply : InProcessTransport::Fault::kNone;
        };
        sync::SyncOptions options;
        options.page_size = 3;
        if (&client == &stolen) {
          StolenClient transport(direct, malice);
          transport.receiver_ = server.node_id();
          return testing::SyncWith(client, transport, options);
        }
        if (&server == &stolen) {
          StolenServer transport(direct, malice, client.node_id());
          return testing::SyncWith(client, transport, options);
        }
        auto summary = testing::SyncWith(client, direct, options);
        // Between honest offices nothing is ever refused (every refusal is
        // checked again at the end, cut syncs' included).
        if (summary.ok()) {
          ++honest_syncs;
          EXPECT_TRUE(summary->refused_here.empty())
              << client.node_id() << " from " << server.node_id() << ": "
              << summary->refused_here[0].reason;
          EXPECT_TRUE(summary->refused_by_peer.empty())
              << server.node_id() << " from " << client.node_id() << ": "
              << summary->refused_by_peer[0].reason;
        }
        return summary;
      },
      honest.size());

  size_t refusals = 0;
  for (size_t i = 0; i < honest.size(); ++i) {
    Store& office = *nodes[i];
    ExpectOnlyGenuineWrites(office, by_id);
    EXPECT_EQ(testing::DumpOf(office).find(kMarker), std::string::npos) << office.node_id();
    VersionVector knowledge = office.Knowledge().value();
    for (const auto& [node, counter] : knowledge.entries()) {
      auto writer = by_id.find(node);
      ASSERT_NE(writer, by_id.end()) << office.node_id() << " knows of " << node << ", made up";
      EXPECT_LE(counter, writer->second->Knowledge()->Get(node))
          << office.node_id() << ", " << node;
    }
    auto refused = office.RecentRefusals(100000);
    ASSERT_TRUE(refused.ok());
    for (const auto& r : *refused) {
      if (r.sent) continue;
      ++refusals;
      // Only what XX-STOLEN sent was ever refused: nothing it forged got
      // into an honest office to be passed on.
      EXPECT_EQ(r.peer, kStolen) << office.node_id() << " refused " << r.state.record_id << "."
                                 << r.state.field << " of " << r.state.origin << " from " << r.peer
                                 << ": " << r.state.reason;
    }
  }
  std::printf(
      "[ malice   ] seed %u: %d rounds, %d honest syncs completed, %zu states refused by honest "
      "offices;",
      seed, rounds, honest_syncs, refusals);
  for (const auto& [what, times] : malice.done) std::printf(" %s %d,", what.c_str(), times);
  std::printf("\n");
  // Every trick was played, and some of it reached the offices.
  for (const char* trick :
       {"altered a relayed write", "renumbered a relayed write",
        "forged a write in another office's name", "claimed unseen writes (shadowing)",
        "over-claimed knowledge", "replayed a page", "answered in another office's name"}) {
    EXPECT_GT(malice.done[trick], 0) << trick;
  }
  EXPECT_GT(refusals, 0u);
}

TEST(MaliciousConvergenceTest, FourHonestOfficesConvergeAroundAStolenCertificate) {
  for (uint32_t seed : {91u, 92u, 93u}) RunWithAStolenCertificate(seed, 600);
}

}  // namespace
}  // namespace accord
