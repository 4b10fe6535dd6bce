// A small command-line parser: flags with or without a value, and positional arguments.
// Unknown flags and malformed values are errors with a clear message.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"

namespace tinylm::cli {

class Args {
 public:
  // `valued` flags take the next argument (or --flag=value); `switches` take none.
  static Expected<Args> Parse(int argc, char** argv, const std::set<std::string>& valued,
                              const std::set<std::string>& switches);

  bool Has(const std::string& flag) const { return values_.count(flag) || set_.count(flag); }
  std::optional<std::string> Get(const std::string& flag) const;  // the last value given
  // Every value of a flag that may repeat (--lora A --lora B), in order.
  std::vector<std::string> GetAll(const std::string& flag) const;
  std::string GetOr(const std::string& flag, const std::string& fallback) const;
  Expected<int> IntOr(const std::string& flag, int fallback, int lo, int hi) const;
  Expected<float> FloatOr(const std::string& flag, float fallback) const;
  Expected<uint64_t> U64Or(const std::string& flag, uint64_t fallback) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> all_values_;
  std::set<std::string> set_;
  std::vector<std::string> positional_;
};

// "1,2,3" or "[1, 2, 3]" -> ids.
Expected<std::vector<int32_t>> ParseIdList(const std::string& text);

// Reads all of stdin.
std::string ReadStdin();

// Prints "tinylm: error: <message>" on stderr and returns exit status 1.
int Fail(const Status& status);

}  // namespace tinylm::cli
