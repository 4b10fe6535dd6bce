// Errors as values. The core never throws (the WebAssembly toolchain links no C++
// exceptions); every fallible function returns a Status or an Expected<T> instead.
#pragma once

#include <cstdarg>
#include <string>
#include <utility>

namespace tinylm {

// An operation's outcome: ok, or a one-line human-readable error message.
class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) {
    Status s;
    s.failed_ = true;
    s.message_ = std::move(message);
    return s;
  }

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const std::string& message() const { return message_; }

  // Prefixes the message with context ("reading foo.slm: " + message).
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Error(context + ": " + message_);
  }

 private:
  bool failed_ = false;
  std::string message_;
};

// printf-style construction of an error Status.
Status Errorf(const char* format, ...) __attribute__((format(printf, 1, 2)));

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : value_(std::move(value)), has_value_(true) {}  // NOLINT: implicit by design
  Expected(Status status) : status_(std::move(status)) {             // NOLINT: implicit by design
    if (status_.ok()) status_ = Status::Error("internal error: Expected built from an ok Status");
  }

  bool ok() const { return has_value_; }
  explicit operator bool() const { return ok(); }
  const Status& status() const { return status_; }
  const std::string& message() const { return status_.message(); }

  T& value() & { return value_; }
  const T& value() const& { return value_; }
  T&& value() && { return std::move(value_); }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }
  T& operator*() & { return value_; }
  const T& operator*() const& { return value_; }

 private:
  T value_{};
  Status status_;
  bool has_value_ = false;
};

}  // namespace tinylm

// Returns early from the enclosing function when `expr` (a Status) failed.
#define TL_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::tinylm::Status tl_status_ = (expr);    \
    if (!tl_status_.ok()) return tl_status_; \
  } while (0)

#define TL_CONCAT_INNER(a, b) a##b
#define TL_CONCAT(a, b) TL_CONCAT_INNER(a, b)

// `TL_ASSIGN_OR_RETURN(auto x, Compute());` binds the value or returns the error.
#define TL_ASSIGN_OR_RETURN(lhs, expr) \
  TL_ASSIGN_OR_RETURN_IMPL(TL_CONCAT(tl_expected_, __LINE__), lhs, expr)
#define TL_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
