// `accord search TEXT`: every record and field, every language, best first
// (docs/search.md).
#include <iostream>
#include <memory>

#include "cli/cli_context.h"
#include "core/report_json.h"

namespace accord::cli {

namespace {

struct SearchArgs {
  std::vector<std::string> words;
  SearchOptions options;
};

std::string Joined(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) text += (text.empty() ? "" : " ") + word;
  return text;
}

int RunSearch(const Context& ctx, const SearchArgs& args) {
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  auto found = (*store)->Search(Joined(args.words), args.options);
  if (!found.ok()) return Fail(found.status());
  if (ctx.json) {
    PrintJson(SearchResultsJson(Joined(args.words), *found));
  } else {
    for (const SearchHit& hit : found->hits) {
      std::cout << hit.label << "  " << hit.record_id << "  ." << hit.field << "\n    "
                << SearchSnippet(hit.value, hit.match) << "\n";
    }
  }
  // What was searched, on stderr so that the hits stay easy to read by script.
  std::cerr << found->matched << " field(s) matched";
  if (found->matched > found->hits.size()) {
    std::cerr << ", the best " << found->hits.size() << " shown (--limit)";
  }
  std::cerr << "\n";
  if (found->personal_locked) {
    std::cerr << "personal data is locked: cases, family tracing and case reviews were not "
                 "searched (give the passphrase or the key file)\n";
  }
  if (found->index_behind) {
    std::cerr << "another accord process is writing: the newest changes were not searched\n";
  }
  return kExitOk;
}

}  // namespace

void AddSearchCommands(CLI::App& app, Context& ctx, Runner& run) {
  auto args = std::make_shared<SearchArgs>();
  auto* search = app.add_subcommand(
      "search",
      "Find words in every record and field, in any language (a Thai or Khmer word inside a "
      "sentence too), best matches first; personal data only where this node may read it");
  search->add_option("text", args->words, "The words to find (every one must be in the field)")
      ->required();
  search->add_option("--type", args->options.type, "Only records of this type");
  search->add_option("--limit", args->options.limit, "Show at most this many (default 20)")
      ->check(CLI::Range(1, 10000));
  AddJsonFlag(search, ctx);
  OnRun(search, run, [&ctx, args] { return RunSearch(ctx, *args); });
}

}  // namespace accord::cli
