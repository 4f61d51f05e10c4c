// Errors as values across layers: every fallible call returns a Status or a Result<T>.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace accord {

enum class Code {
  kOk = 0,
  kInvalidArgument,      // the caller's input is wrong (unknown type, bad value, malformed id)
  kNotFound,             // the thing named does not exist
  kFailedPrecondition,   // the state forbids it (record deleted, node not initialised)
  kCorruption,           // data read from disk or the wire is malformed
  kPermissionDenied,     // identity or signature rejected
  kUnavailable,          // transient: busy, network down; worth a retry
  kIo,                   // filesystem or database error
  kInternal,             // a bug
  kIncompatibleVersion,  // a newer (or too old) protocol, bundle format or database: upgrade
};
// Positions in this enum mean nothing outside the process: what travels is
// wire::ErrorCode (proto/accord_sync.proto), mapped in sync/error_codes.h.

const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

  // Prefixes context ("loading line 12: ") to the message, keeping the code.
  Status WithContext(const std::string& context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return {Code::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) {
  return {Code::kNotFound, std::move(m)};
}
inline Status FailedPrecondition(std::string m) {
  return {Code::kFailedPrecondition, std::move(m)};
}
inline Status Corruption(std::string m) {
  return {Code::kCorruption, std::move(m)};
}
inline Status PermissionDenied(std::string m) {
  return {Code::kPermissionDenied, std::move(m)};
}
inline Status Unavailable(std::string m) {
  return {Code::kUnavailable, std::move(m)};
}
inline Status IoError(std::string m) {
  return {Code::kIo, std::move(m)};
}
inline Status Internal(std::string m) {
  return {Code::kInternal, std::move(m)};
}
inline Status IncompatibleVersion(std::string m) {
  return {Code::kIncompatibleVersion, std::move(m)};
}

// A value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(data_);
  }
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace accord

#define ACCORD_CONCAT_INNER(a, b) a##b
#define ACCORD_CONCAT(a, b) ACCORD_CONCAT_INNER(a, b)

// Returns early from the enclosing function when `expr` is not ok.
#define RETURN_IF_ERROR(expr)      \
  do {                             \
    ::accord::Status _st = (expr); \
    if (!_st.ok()) return _st;     \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, Fn())` binds the value or returns the error.
#define ASSIGN_OR_RETURN(lhs, expr) ASSIGN_OR_RETURN_IMPL(ACCORD_CONCAT(_res_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
