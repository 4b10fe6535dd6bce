// strftime_now(): Python's datetime.strftime in the C locale, over an injectable clock.
#include <cstdio>
#include <ctime>

#include "chat/builtins.h"

namespace tinylm::chat {
namespace {

constexpr const char* kDays[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                 "Friday", "Saturday", "Sunday"};
constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                   "May",       "June",     "July",     "August",
                                   "September", "October",  "November", "December"};

bool IsLeap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int DaysInMonth(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 (proleptic Gregorian; Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int Weekday(const LocalTime& t) {  // 0 = Monday
  const int64_t days = DaysFromCivil(t.year, t.month, t.day);
  return static_cast<int>(((days % 7) + 7 + 3) % 7);  // 1970-01-01 was a Thursday
}

int DayOfYear(const LocalTime& t) {
  int n = t.day;
  for (int m = 1; m < t.month; ++m) n += DaysInMonth(t.year, m);
  return n;
}

}  // namespace

Expected<std::string> StrFTime(const LocalTime& t, std::string_view format) {
  std::string out;
  char buf[64];
  auto num = [&](int v, int width, bool pad) {
    if (pad) {
      std::snprintf(buf, sizeof(buf), "%0*d", width, v);
    } else {
      std::snprintf(buf, sizeof(buf), "%d", v);
    }
    out += buf;
  };
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out.push_back(format[i]);
      continue;
    }
    if (++i >= format.size()) {
      out.push_back('%');
      break;
    }
    bool pad = true;
    if (format[i] == '-' && i + 1 < format.size()) {  // glibc: no padding
      pad = false;
      ++i;
    }
    const int hour12 = t.hour % 12 == 0 ? 12 : t.hour % 12;
    switch (format[i]) {
      case '%':
        out.push_back('%');
        break;
      case 'a':
        out += std::string(kDays[Weekday(t)]).substr(0, 3);
        break;
      case 'A':
        out += kDays[Weekday(t)];
        break;
      case 'w':
        num((Weekday(t) + 1) % 7, 1, pad);
        break;
      case 'u':
        num(Weekday(t) + 1, 1, pad);
        break;
      case 'd':
        num(t.day, 2, pad);
        break;
      case 'e':
        std::snprintf(buf, sizeof(buf), pad ? "%2d" : "%d", t.day);
        out += buf;
        break;
      case 'b':
      case 'h':
        out += std::string(kMonths[t.month - 1]).substr(0, 3);
        break;
      case 'B':
        out += kMonths[t.month - 1];
        break;
      case 'm':
        num(t.month, 2, pad);
        break;
      case 'y':
        num(t.year % 100, 2, pad);
        break;
      case 'Y':
        num(t.year, 4, pad);
        break;
      case 'H':
        num(t.hour, 2, pad);
        break;
      case 'I':
        num(hour12, 2, pad);
        break;
      case 'p':
        out += t.hour < 12 ? "AM" : "PM";
        break;
      case 'M':
        num(t.minute, 2, pad);
        break;
      case 'S':
        num(t.second, 2, pad);
        break;
      case 'f':
        num(t.microsecond, 6, true);
        break;
      case 'j':
        num(DayOfYear(t), 3, pad);
        break;
      case 'z':
      case 'Z':
        break;  // a naive datetime has no zone
      case 'D': {
        TL_ASSIGN_OR_RETURN(std::string s, StrFTime(t, "%m/%d/%y"));
        out += s;
        break;
      }
      case 'F': {
        TL_ASSIGN_OR_RETURN(std::string s, StrFTime(t, "%Y-%m-%d"));
        out += s;
        break;
      }
      case 'T': {
        TL_ASSIGN_OR_RETURN(std::string s, StrFTime(t, "%H:%M:%S"));
        out += s;
        break;
      }
      case 'R': {
        TL_ASSIGN_OR_RETURN(std::string s, StrFTime(t, "%H:%M"));
        out += s;
        break;
      }
      case 'c': {
        TL_ASSIGN_OR_RETURN(std::string s, StrFTime(t, "%a %b %e %H:%M:%S %Y"));
        out += s;
        break;
      }
      case 'x': {
        TL_ASSIGN_OR_RETURN(std::string s, StrFTime(t, "%m/%d/%y"));
        out += s;
        break;
      }
      case 'X': {
        TL_ASSIGN_OR_RETURN(std::string s, StrFTime(t, "%H:%M:%S"));
        out += s;
        break;
      }
      default:
        return Errorf("strftime_now: unsupported directive '%%%c'", format[i]);
    }
  }
  return out;
}

Expected<LocalTime> ParseIsoLocalTime(std::string_view text) {
  LocalTime t;
  int consumed = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &t.year, &t.month, &t.day, &t.hour,
                  &t.minute, &t.second, &consumed) != 6) {
    return Errorf("'%s' is not an ISO 8601 local date-time (YYYY-MM-DDTHH:MM:SS)", s.c_str());
  }
  size_t pos = static_cast<size_t>(consumed);
  if (pos < s.size() && s[pos] == '.') {
    int digits = 0;
    for (++pos; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos) {
      if (digits < 6) t.microsecond = t.microsecond * 10 + (s[pos] - '0');
      ++digits;
    }
    for (; digits < 6; ++digits) t.microsecond *= 10;
  }
  if (pos != s.size() || t.month < 1 || t.month > 12 || t.day < 1 ||
      t.day > DaysInMonth(t.year, t.month) || t.hour > 23 || t.minute > 59 || t.second > 59) {
    return Errorf("'%s' is not a valid ISO 8601 local date-time (YYYY-MM-DDTHH:MM:SS)", s.c_str());
  }
  return t;
}

LocalTime SystemLocalTime() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  LocalTime t;
  if (!localtime_r(&now, &tm)) return t;
  t.year = tm.tm_year + 1900;
  t.month = tm.tm_mon + 1;
  t.day = tm.tm_mday;
  t.hour = tm.tm_hour;
  t.minute = tm.tm_min;
  t.second = tm.tm_sec;
  return t;
}

}  // namespace tinylm::chat
