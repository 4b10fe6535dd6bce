#include "args.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace tinylm::cli {

Expected<Args> Args::Parse(int argc, char** argv, const std::set<std::string>& valued,
                           const std::set<std::string>& switches) {
  Args args;
  bool only_positional = false;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (only_positional || a.size() < 2 || a[0] != '-' || (a.size() > 1 && std::isdigit(a[1]))) {
      args.positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    std::string value;
    bool has_inline_value = false;
    const size_t eq = a.find('=');
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_inline_value = true;
    }
    if (valued.count(a)) {
      if (!has_inline_value) {
        if (i + 1 >= argc) return Errorf("option %s needs a value", a.c_str());
        value = argv[++i];
      }
      args.values_[a] = value;
      args.all_values_[a].push_back(value);
    } else if (switches.count(a)) {
      if (has_inline_value) return Errorf("option %s takes no value", a.c_str());
      args.set_.insert(a);
    } else {
      return Errorf("unknown option '%s' (see tinylm --help)", a.c_str());
    }
  }
  return args;
}

std::optional<std::string> Args::Get(const std::string& flag) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Args::GetAll(const std::string& flag) const {
  auto it = all_values_.find(flag);
  return it == all_values_.end() ? std::vector<std::string>{} : it->second;
}

std::string Args::GetOr(const std::string& flag, const std::string& fallback) const {
  auto v = Get(flag);
  return v ? *v : fallback;
}

Expected<int> Args::IntOr(const std::string& flag, int fallback, int lo, int hi) const {
  auto v = Get(flag);
  if (!v) return fallback;
  errno = 0;
  char* end = nullptr;
  const long long n = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || errno != 0 || n < lo || n > hi) {
    return Errorf("option %s: '%s' is not an integer in %d..%d", flag.c_str(), v->c_str(), lo, hi);
  }
  return static_cast<int>(n);
}

Expected<float> Args::FloatOr(const std::string& flag, float fallback) const {
  auto v = Get(flag);
  if (!v) return fallback;
  char* end = nullptr;
  const double d = std::strtod(v->c_str(), &end);
  if (v->empty() || *end != '\0' || !std::isfinite(d)) {
    return Errorf("option %s: '%s' is not a number", flag.c_str(), v->c_str());
  }
  return static_cast<float>(d);
}

Expected<uint64_t> Args::U64Or(const std::string& flag, uint64_t fallback) const {
  auto v = Get(flag);
  if (!v) return fallback;
  errno = 0;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v->c_str(), &end, 10);
  if (v->empty() || (*v)[0] == '-' || *end != '\0' || errno != 0) {
    return Errorf("option %s: '%s' is not a non-negative integer", flag.c_str(), v->c_str());
  }
  return static_cast<uint64_t>(n);
}

Expected<std::vector<int32_t>> ParseIdList(const std::string& text) {
  std::vector<int32_t> ids;
  size_t i = 0;
  auto skip = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' ||
                               text[i] == '\r' || text[i] == ','))
      ++i;
  };
  skip();
  const bool bracketed = i < text.size() && text[i] == '[';
  if (bracketed) ++i;
  while (true) {
    skip();
    if (i >= text.size()) break;
    if (text[i] == ']') {
      ++i;
      skip();
      if (i != text.size() || !bracketed) return Status::Error("malformed id list");
      return ids;
    }
    if (!(std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '-')) {
      return Errorf("malformed id list at '%s'", text.substr(i, 10).c_str());
    }
    const size_t start = i;
    if (text[i] == '-') ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    const std::string number = text.substr(start, i - start);
    if (number == "-" || number.size() > 11) return Errorf("bad token id '%s'", number.c_str());
    const long long v = std::strtoll(number.c_str(), nullptr, 10);
    if (v < 0 || v > INT32_MAX) return Errorf("token id %s is out of range", number.c_str());
    ids.push_back(static_cast<int32_t>(v));
    if (i < text.size() && !(text[i] == ',' || text[i] == ' ' || text[i] == ']' ||
                             text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) {
      return Errorf("malformed id list at '%s'", text.substr(i, 10).c_str());
    }
  }
  if (bracketed) return Status::Error("malformed id list: missing ']'");
  return ids;
}

std::string ReadStdin() {
  std::string text;
  char buffer[65536];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, stdin)) > 0) text.append(buffer, n);
  return text;
}

int Fail(const Status& status) {
  std::fprintf(stderr, "tinylm: error: %s\n", status.message().c_str());
  return 1;
}

}  // namespace tinylm::cli
