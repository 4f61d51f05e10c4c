// Attachment commands (docs/attachments.md): attach, attachments,
// attachment save.
#include <filesystem>
#include <iostream>

#include "cli/cli_context.h"
#include "core/record_id.h"

namespace accord::cli {

namespace {

using nlohmann::json;

json AttachmentJson(const AttachmentInfo& a) {
  return {{"id", a.id},
          {"type", a.type},
          {"owner", a.owner_id},
          {"owner_type", a.owner_type},
          {"sha256", a.sha256},
          {"size", a.size},
          {"file_name", a.file_name},
          {"media_type", a.media_type},
          {"caption", a.caption},
          {"held", a.held},
          {"partial_bytes", a.partial_bytes}};
}

std::string HeldText(const AttachmentInfo& a) {
  if (a.held) return "held here";
  if (a.partial_bytes > 0) {
    return "missing here (" + std::to_string(a.partial_bytes) + " of " + std::to_string(a.size) +
           " bytes received; the next sync resumes)";
  }
  return "missing here (comes with the next sync or bundle)";
}

int RunAttach(const Context& ctx, const std::string& record, const std::string& file,
              const std::string& name, const std::string& caption, const std::string& media) {
  auto store = ctx.OpenStoreAs();
  if (!store.ok()) return Fail(store.status());
  NewAttachment attachment{record, file, name, media, caption};
  auto info = (*store)->Attach(attachment, ctx.OwnFiles());
  if (!info.ok()) return Fail(info.status());
  if (ctx.json) {
    PrintJson(AttachmentJson(*info));
  } else {
    std::cout << info->id << "\n";
    std::cerr << "attached " << info->file_name << " (" << info->size << " bytes, sha256 "
              << info->sha256 << ") to " << info->owner_type << " " << info->owner_id << "\n";
  }
  return kExitOk;
}

int RunList(const Context& ctx, const std::string& record) {
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  auto found = (*store)->Attachments(record);
  if (!found.ok()) return Fail(found.status());
  if (ctx.json) {
    json out = json::array();
    for (const AttachmentInfo& a : *found) out.push_back(AttachmentJson(a));
    PrintJson(out);
    return kExitOk;
  }
  if (found->empty()) std::cout << "no attachments on " << record << "\n";
  for (const AttachmentInfo& a : *found) {
    std::cout << a.id << "  " << a.file_name << "  (" << a.media_type << ", " << a.size
              << " bytes)  " << HeldText(a) << "\n";
    if (!a.caption.empty()) std::cout << "  caption: " << a.caption << "\n";
    std::cout << "  sha256: " << a.sha256 << "\n";
  }
  return kExitOk;
}

int RunSave(const Context& ctx, const std::string& id, const std::string& out) {
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  Status saved = (*store)->SaveAttachment(id, out, ctx.OwnFiles());
  if (!saved.ok()) return Fail(saved);
  if (ctx.json) {
    PrintJson({{"attachment", id}, {"file", out}});
  } else {
    std::cout << "wrote " << out << "\n";
  }
  return kExitOk;
}

struct AttachArgs {
  std::string record, file, name, caption, media, out;
};

}  // namespace

void AddAttachmentCommands(CLI::App& app, Context& ctx, Runner& run) {
  auto args = std::make_shared<AttachArgs>();

  auto* attach = app.add_subcommand(
      "attach", "Attach a file (a scan, an annex, slides) to a record; prints the attachment's id");
  attach->add_option("record", args->record, "The meeting, plan, activity, action item or case")
      ->required();
  attach->add_option("file", args->file, "The file to attach (copied into the node directory)")
      ->required();
  attach->add_option("--caption", args->caption, "What the file is");
  attach->add_option("--name", args->name, "The file name to record (default: FILE's name)");
  attach->add_option("--media-type", args->media,
                     "e.g. application/pdf (default: guessed from the name)");
  AddActingUserOptions(attach, ctx);
  AddJsonFlag(attach, ctx);
  OnRun(attach, run, [&ctx, args] {
    return RunAttach(ctx, args->record, args->file, args->name, args->caption, args->media);
  });

  auto* list = app.add_subcommand("attachments",
                                  "A record's attachments, and whether each file is held here yet");
  list->add_option("record", args->record, "Record id")->required();
  AddJsonFlag(list, ctx);
  OnRun(list, run, [&ctx, args] { return RunList(ctx, args->record); });

  auto* attachment = app.add_subcommand("attachment", "Work with one attachment");
  attachment->require_subcommand(1);
  auto* save = attachment->add_subcommand("save", "Write an attachment's file out");
  save->add_option("id", args->record, "The attachment's id")->required();
  save->add_option("--out", args->out, "The file to write (must not exist)")->required();
  AddJsonFlag(save, ctx);
  OnRun(save, run, [&ctx, args] { return RunSave(ctx, args->record, args->out); });
}

}  // namespace accord::cli
