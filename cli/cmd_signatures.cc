// Signed versions (issue 13.5, docs/signatures.md): `accord sign` freezes a
// digest of a meeting's minutes or of a plan; `accord signatures` shows each
// signature and what was amended since.
#include <iostream>
#include <memory>

#include "cli/cli_context.h"
#include "core/record_id.h"
#include "core/record_label.h"
#include "core/signed_content.h"
#include "core/time_format.h"
#include "core/write_check.h"

namespace accord::cli {

namespace {

using nlohmann::json;

struct SignArgs {
  std::string id;
  std::string signatory;
  std::string title;
  std::string party;
  std::string on;
};

json SignatureJson(Store& store, const SignatureCheck& check) {
  auto field = [&](const char* name) -> json {
    const auto* value = check.signature.Value(name);
    return value && *value ? json(**value) : json(nullptr);
  };
  json amended = json::array();
  for (const Amendment& a : check.amended) {
    auto record = store.Get(a.id);
    amended.push_back({{"kind", std::string(AmendmentWord(a.kind))},
                       {"type", a.type},
                       {"id", a.id},
                       {"label", record.ok() ? json(RecordLabel(*record)) : json(nullptr)}});
  }
  return {{"id", check.signature.id},        {"signatory", field("signatory")},
          {"title", field("title")},         {"party", field("party")},
          {"signed_on", field("signed_on")}, {"digest", check.signed_digest},
          {"intact", check.intact()},        {"amended", amended}};
}

void PrintSignature(Store& store, const SignatureCheck& check) {
  auto text = [&](const char* name) {
    const auto* value = check.signature.Value(name);
    return value && *value ? **value : std::string();
  };
  std::cout << "signed by " << text("signatory");
  if (!text("title").empty()) std::cout << ", " << text("title");
  if (!text("signed_on").empty()) std::cout << " on " << text("signed_on");
  std::cout << "  (" << check.signature.id << ")\n";
  if (check.intact()) {
    std::cout << "  intact: nothing it signed has changed\n";
    return;
  }
  std::cout << "  AMENDED since signing: " << check.amended.size() << " record(s)\n";
  for (const Amendment& a : check.amended) {
    auto record = store.Get(a.id);
    std::cout << "    " << AmendmentWord(a.kind) << ": "
              << (record.ok() ? RecordLabel(*record) : a.type + " " + a.id) << "  " << a.id << "\n";
  }
}

int RunSign(const Context& ctx, const SignArgs& args) {
  if (!IsValidRecordId(args.id)) {
    return UsageError(InvalidArgument("'" + args.id + "' is not a record id"));
  }
  auto store = ctx.OpenStoreAs();
  if (!store.ok()) return Fail(store.status());
  auto content = ReadSignedContent(**store, args.id);
  if (!content.ok()) return Fail(content.status());
  RecordWrite write;
  write.type = "signature";
  write.writes = {{content->root_type, content->root_id},
                  {"signatory", args.signatory},
                  {"digest", content->digest},
                  {"covers", content->CoversText()}};
  if (!args.title.empty()) write.writes.push_back({"title", args.title});
  if (!args.party.empty()) write.writes.push_back({"party", args.party});
  write.writes.push_back(
      {"signed_on", args.on.empty() ? FormatUtcMs((*store)->NowMs()).substr(0, 10) : args.on});
  if (auto fits = CheckRecordWrite(write); !fits.ok()) return UsageError(fits.status());
  auto written = (*store)->Put(write);
  if (!written.ok()) return Fail(written.status());
  if (ctx.json) {
    PrintJson({{"signature", *written},
               {"signs", content->root_id},
               {"digest", content->digest},
               {"covers", content->Summary()}});
  } else {
    std::cout << *written << "\n";
    std::cerr << "signed " << content->Summary() << " (" << content->digest.substr(0, 19) << "…)\n";
  }
  return kExitOk;
}

int RunSignatures(const Context& ctx, const std::string& id) {
  if (!IsValidRecordId(id)) {
    return UsageError(InvalidArgument("'" + id + "' is not a record id"));
  }
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  auto checks = CheckSignatures(**store, id);
  if (!checks.ok()) return Fail(checks.status());
  if (ctx.json) {
    json out = json::array();
    for (const SignatureCheck& check : *checks) out.push_back(SignatureJson(**store, check));
    PrintJson(out);
    return kExitOk;
  }
  for (const SignatureCheck& check : *checks) PrintSignature(**store, check);
  if (checks->empty()) std::cerr << "not signed\n";
  return kExitOk;
}

}  // namespace

void AddSignatureCommands(CLI::App& app, Context& ctx, Runner& run) {
  auto args = std::make_shared<SignArgs>();
  auto* sign = app.add_subcommand(
      "sign",
      "Record a signature on a meeting (its agenda, minutes, decisions and action items) or a "
      "plan (its objectives and activities), freezing a digest of them as they stand");
  sign->add_option("id", args->id, "The meeting or plan signed")->required();
  sign->add_option("--signatory", args->signatory, "Who signed, in any language")->required();
  sign->add_option("--title", args->title, "The signatory's title");
  sign->add_option("--party", args->party, "The party record signed for");
  sign->add_option("--on", args->on, "Date signed, YYYY-MM-DD (default: today)");
  AddActingUserOptions(sign, ctx);
  AddJsonFlag(sign, ctx);
  OnRun(sign, run, [&ctx, args] { return RunSign(ctx, *args); });

  auto* list = app.add_subcommand(
      "signatures", "The signatures on a meeting or plan, and what was amended since each");
  list->add_option("id", args->id, "The meeting or plan")->required();
  AddJsonFlag(list, ctx);
  OnRun(list, run, [&ctx, args] { return RunSignatures(ctx, args->id); });
}

}  // namespace accord::cli
