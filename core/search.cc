// `accord search` (docs/search.md): a trigram full-text index of the shared
// types, kept beside the change log and brought up to date when searched;
// personal types searched in place, only where they may be read.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include "core/record_label.h"
#include "core/store.h"

namespace accord {

namespace {

// Derived data, created by the first search and rebuilt whenever this
// node's personal types change: it holds values of the shared types only.
// The trigger keeps it free of values deleted from the log (a purge, a
// retention prune) even between searches.
constexpr const char* kCreateIndexSql = R"sql(
  CREATE VIRTUAL TABLE IF NOT EXISTS search_text
    USING fts5(value, record_id UNINDEXED, field UNINDEXED, tokenize = 'trigram');
  CREATE TRIGGER IF NOT EXISTS search_text_forget AFTER DELETE ON versions BEGIN
    DELETE FROM search_text WHERE rowid = OLD.seq;
  END;
)sql";

// Log rows read per write transaction while catching up: the lock is held
// for one batch at a time, as for a sync page.
constexpr int64_t kIndexBatch = 5000;

// Fields worth searching: text of any kind, dates and numbers; not record
// ids (refs) nor the tombstone.
bool Searchable(const TypeSpec& type, std::string_view field) {
  if (field == kDeletedField) return false;
  const FieldSpec* spec = type.FindField(field);
  return !spec || spec->kind != FieldKind::kRef;
}

double FieldWeight(const TypeSpec* type, std::string_view field) {
  if (!type) return 1;
  const auto& labels = type->label_fields;
  return std::find(labels.begin(), labels.end(), field) != labels.end() ? 2 : 1;
}

Result<std::string> MetaValue(Database& db, const char* key) {
  ASSIGN_OR_RETURN(Statement * stmt, db.Prepare("SELECT value FROM meta WHERE key = ?"));
  stmt->Bind(1, key);
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  std::string value = row ? stmt->Text(0) : "";
  stmt->Reset();
  return value;
}

Status SetMetaValue(Database& db, const char* key, const std::string& value) {
  ASSIGN_OR_RETURN(Statement * stmt,
                   db.Prepare("INSERT INTO meta(key, value) VALUES(?, ?) "
                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
  return stmt->Bind(1, key).Bind(2, value).Run();
}

// The FTS5 query for the words of three code points or more (trigrams can
// match them); "" when there is none. Each word is a quoted phrase, so
// nothing typed is read as FTS5 syntax.
std::string IndexQuery(const std::vector<std::string>& terms) {
  std::string query;
  for (const std::string& term : terms) {
    if (CodePointCount(term) < 3) continue;
    if (!query.empty()) query += ' ';
    query += '"';
    for (char c : term) {
      query += c;
      if (c == '"') query += '"';
    }
    query += '"';
  }
  return query;
}

std::string LikePattern(const std::string& term) {
  std::string pattern = "%";
  for (char c : term) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  return pattern + "%";
}

}  // namespace

Result<size_t> Store::UpdateSearchIndex() {
  // The shared types, by this node's judgement of what is personal.
  std::string types_text;
  for (const TypeSpec& type : Schema::Get().types()) {
    if (IsPersonalType(type.name)) continue;
    if (!types_text.empty()) types_text += ',';
    types_text += type.name;
  }
  size_t added = 0;
  while (true) {
    ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kWrite));
    RETURN_IF_ERROR(db_->Exec(kCreateIndexSql));
    ASSIGN_OR_RETURN(std::string indexed_types, MetaValue(*db_, "search_types"));
    ASSIGN_OR_RETURN(std::string cursor_text, MetaValue(*db_, "search_cursor"));
    int64_t cursor = std::strtoll(cursor_text.c_str(), nullptr, 10);
    if (indexed_types != types_text) {
      // Another build, or `accord encrypt --personal TYPE`: start again, and
      // leave nothing of a type that is personal now.
      RETURN_IF_ERROR(db_->Exec("DELETE FROM search_text"));
      RETURN_IF_ERROR(ScrubSearchIndex());
      RETURN_IF_ERROR(SetMetaValue(*db_, "search_types", types_text));
      cursor = 0;
    }
    auto shared = SplitTypeList(types_text);

    // The (record, field) pairs written since the cursor.
    ASSIGN_OR_RETURN(Statement * changed,
                     db_->Prepare("SELECT v.seq, v.record_id, v.field, r.type FROM versions v "
                                  "LEFT JOIN records r ON r.id = v.record_id "
                                  "WHERE v.seq > ? ORDER BY v.seq LIMIT ?"));
    changed->Bind(1, cursor).Bind(2, kIndexBatch);
    std::map<std::pair<std::string, std::string>, std::string> pairs;  // -> type
    int64_t last = cursor;
    while (true) {
      ASSIGN_OR_RETURN(bool row, changed->Step());
      if (!row) break;
      last = changed->Int(0);
      if (changed->IsNull(3)) continue;  // a purge's placeholder row
      std::string type = changed->Text(3);
      if (!shared.count(type)) continue;
      const TypeSpec* spec = Schema::Get().FindType(type);
      std::string field = changed->Text(2);
      if (!spec || !Searchable(*spec, field)) continue;
      pairs.emplace(std::make_pair(changed->Text(1), std::move(field)), std::move(type));
    }
    changed->Reset();
    if (last == cursor) break;  // caught up

    ASSIGN_OR_RETURN(Statement * forget,
                     db_->Prepare("DELETE FROM search_text WHERE rowid IN (SELECT seq FROM "
                                  "versions WHERE record_id = ? AND field = ? AND state = 0)"));
    ASSIGN_OR_RETURN(
        Statement * fresh,
        db_->Prepare("SELECT seq, value FROM versions WHERE record_id = ? AND "
                     "field = ? AND state > 0 AND seq > ? AND typeof(value) = 'text'"));
    ASSIGN_OR_RETURN(Statement * add,
                     db_->Prepare("INSERT INTO search_text(rowid, value, record_id, field) "
                                  "VALUES(?, ?, ?, ?)"));
    for (const auto& [key, type] : pairs) {
      const auto& [record_id, field] = key;
      // What the new versions superseded leaves the index; what is live and
      // new enters it (a version never becomes live again once superseded).
      RETURN_IF_ERROR(forget->Bind(1, record_id).Bind(2, field).Run());
      fresh->Bind(1, record_id).Bind(2, field).Bind(3, cursor);
      while (true) {
        ASSIGN_OR_RETURN(bool row, fresh->Step());
        if (!row) break;
        Status st = add->Bind(1, fresh->Int(0))
                        .Bind(2, fresh->Text(1))
                        .Bind(3, record_id)
                        .Bind(4, field)
                        .Run();
        if (!st.ok()) {
          fresh->Reset();
          return st;
        }
        ++added;
      }
      fresh->Reset();
    }
    RETURN_IF_ERROR(SetMetaValue(*db_, "search_cursor", std::to_string(last)));
    RETURN_IF_ERROR(txn->Commit());
  }
  return added;
}

Status Store::ScrubSearchIndex() {
  ASSIGN_OR_RETURN(Statement * exists,
                   db_->Prepare("SELECT 1 FROM sqlite_schema WHERE name = 'search_text'"));
  ASSIGN_OR_RETURN(bool found, exists->Step());
  exists->Reset();
  if (!found) return Status::Ok();
  // 'optimize' merges every segment into one, dropping deleted entries; the
  // old segments' pages are freed, and secure_delete zeroes them.
  return db_->Exec("INSERT INTO search_text(search_text) VALUES('optimize')");
}

Result<SearchResults> Store::Search(std::string_view query, const SearchOptions& options) {
  if (!options.type.empty() && !Schema::Get().FindType(options.type)) {
    return InvalidArgument("unknown record type '" + options.type + "'");
  }
  std::vector<std::string> terms = SearchTerms(query);
  if (terms.empty()) return InvalidArgument("nothing to search for: the text is empty");

  SearchResults results;
  auto indexed = UpdateSearchIndex();
  if (indexed.ok()) {
    results.newly_indexed = *indexed;
  } else if (indexed.status().code() == Code::kUnavailable) {
    results.index_behind = true;  // a long sync holds the lock: search what is indexed
  } else {
    return indexed.status();
  }

  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  std::vector<SearchHit> hits;
  auto consider = [&](std::string record_id, std::string type, std::string field, std::string value,
                      bool personal) {
    const TypeSpec* spec = Schema::Get().FindType(type);
    auto match = MatchAllTerms(value, terms, FieldWeight(spec, field));
    if (!match) return;
    hits.push_back({std::move(record_id), std::move(type), "", std::move(field), std::move(value),
                    *match, personal});
  };

  // Shared types, from the index: FTS5 narrows with the words trigrams can
  // match, LIKE with the shorter ones (a two-character Chinese word), and
  // MatchAllTerms judges every candidate as it judges a personal value.
  ASSIGN_OR_RETURN(Statement * has_index,
                   db_->Prepare("SELECT 1 FROM sqlite_schema WHERE name = 'search_text'"));
  ASSIGN_OR_RETURN(bool index_exists, has_index->Step());
  has_index->Reset();
  if (index_exists) {
    std::string fts = IndexQuery(terms);
    std::string sql =
        "SELECT search_text.record_id, r.type, search_text.field, search_text.value "
        "FROM search_text JOIN records r ON r.id = search_text.record_id WHERE r.deleted = 0";
    if (!fts.empty()) sql += " AND search_text MATCH ?";
    std::vector<std::string> short_terms;
    for (const std::string& term : terms) {
      if (CodePointCount(term) < 3) {
        short_terms.push_back(term);
        sql += " AND search_text.value LIKE ? ESCAPE '\\'";
      }
    }
    if (!options.type.empty()) sql += " AND r.type = ?";
    ASSIGN_OR_RETURN(Statement * stmt, db_->Prepare(sql));
    int index = 1;
    if (!fts.empty()) stmt->Bind(index++, fts);
    for (const std::string& term : short_terms) stmt->Bind(index++, LikePattern(term));
    if (!options.type.empty()) stmt->Bind(index++, options.type);
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) break;
      consider(stmt->Text(0), stmt->Text(1), stmt->Text(2), stmt->Text(3), false);
    }
    stmt->Reset();
  }

  // Personal types, read where they are: never copied into an index that a
  // purge would have to clean, opened only with the key.
  // Every type the index leaves out: the schema's personal ones, those the
  // deployment marked, and those only a newer node knows.
  std::string shared_list;
  for (const TypeSpec& spec : Schema::Get().types()) {
    if (IsPersonalType(spec.name)) continue;
    shared_list += (shared_list.empty() ? "'" : ", '") + spec.name + "'";
  }
  ASSIGN_OR_RETURN(Statement * personal,
                   db_->Prepare("SELECT v.record_id, r.type, v.field, v.value, v.vv FROM records r "
                                "JOIN versions v ON v.record_id = r.id WHERE r.deleted = 0 AND "
                                "r.type NOT IN (" +
                                shared_list +
                                ") AND "
                                "v.state > 0 AND v.field <> '_deleted' AND v.value IS NOT NULL "
                                "AND (? = '' OR r.type = ?) ORDER BY r.id, v.field, v.seq"));
  personal->Bind(1, options.type).Bind(2, options.type);
  while (true) {
    ASSIGN_OR_RETURN(bool row, personal->Step());
    if (!row) break;
    std::string type = personal->Text(1);
    if (!IsPersonalType(type)) continue;
    const TypeSpec* spec = Schema::Get().FindType(type);
    std::string record_id = personal->Text(0);
    std::string field = personal->Text(2);
    if (spec && !Searchable(*spec, field)) continue;
    if (!options.personal) {
      results.personal_withheld = true;
      break;
    }
    if (encrypted() && !unlocked()) {
      results.personal_locked = true;
      break;
    }
    std::string vv = personal->Text(4);
    auto value = cipher_.ReadValue(*personal, 3, CellRow{record_id, field, vv});
    if (!value.ok()) {
      personal->Reset();
      return value.status();
    }
    if (*value) consider(std::move(record_id), std::move(type), std::move(field), **value, true);
  }
  personal->Reset();

  std::sort(hits.begin(), hits.end(), [](const SearchHit& a, const SearchHit& b) {
    if (a.match.score != b.match.score) return a.match.score > b.match.score;
    if (a.record_id != b.record_id) return a.record_id < b.record_id;
    return a.field < b.field;
  });
  results.matched = hits.size();
  if (hits.size() > options.limit) hits.resize(options.limit);
  for (SearchHit& hit : hits) {
    ASSIGN_OR_RETURN(RecordView view, BuildView(hit.record_id, hit.type, false));
    hit.label = RecordLabel(view);
  }
  results.hits = std::move(hits);
  return results;
}

}  // namespace accord
