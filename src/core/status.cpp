#include "core/status.h"

#include <cstdio>

namespace tinylm {

Status Errorf(const char* format, ...) {
  char buffer[1024];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  return Status::Error(buffer);
}

}  // namespace tinylm
