// A small, safe unpickler for the data.pkl of a torch.save state dict. It is not a Python
// interpreter: it knows exactly the opcodes and the globals such a pickle needs and refuses
// everything else, so a hostile pickle can only produce an error. Nothing is ever called
// or imported; "calling" torch._utils._rebuild_tensor_v2 merely records a tensor
// description (storage, offset, size, stride), and a persistent id
// ('storage', torch.FloatStorage, '<key>', '<location>', numel) merely records a storage.
//
// Opcodes (protocol 2, plus the protocol 3-5 ones torch may emit):
//   PROTO FRAME STOP  MARK POP POP_MARK DUP
//   NONE NEWTRUE NEWFALSE  BININT BININT1 BININT2 LONG1  BINFLOAT
//   BINUNICODE SHORT_BINUNICODE BINUNICODE8  BINBYTES SHORT_BINBYTES BINBYTES8
//   EMPTY_TUPLE TUPLE TUPLE1 TUPLE2 TUPLE3  EMPTY_LIST LIST APPEND APPENDS
//   EMPTY_DICT DICT SETITEM SETITEMS
//   BINGET LONG_BINGET  BINPUT LONG_BINPUT MEMOIZE
//   GLOBAL STACK_GLOBAL (allowed globals only)  REDUCE (allowed callables only)
//   BINPERSID (torch storages only)  BUILD (only to drop the state of an OrderedDict)
// Allowed globals: collections.OrderedDict, torch._utils._rebuild_tensor_v2,
// torch._utils._rebuild_parameter, torch._utils._rebuild_parameter_with_state, and the
// storage classes torch.{Float,Half,BFloat16,Double,Long,Int,Short,Char,Byte,Bool}Storage
// and torch.UntypedStorage (also as torch.storage.UntypedStorage). Any other global is an
// error naming it, e.g. "pickle references disallowed global 'os.system'".
//
// Every size is bounded before anything is allocated: the stack, the MARK nesting depth,
// the memo, the number of objects and each string's length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace tinylm {

// The element type of a torch storage (and so of the tensors that view it).
enum class TorchDType { F32, F16, BF16, F64, I64, I32, I16, I8, U8, Bool };

size_t TorchDTypeSize(TorchDType dtype);       // bytes per element
const char* TorchDTypeName(TorchDType dtype);  // "F32", "BF16", ...

// A storage named by a persistent id: the archive entry "<folder>/data/<key>".
struct TorchStorageRef {
  std::string key;
  TorchDType dtype = TorchDType::F32;
  std::string location;  // "cpu", "cuda:0", ...
  int64_t numel = 0;     // elements of `dtype` in the storage
};

// One entry of the state dict: _rebuild_tensor_v2(storage, storage_offset, size, stride, ...).
struct TorchTensorRef {
  std::string name;
  TorchStorageRef storage;
  int64_t storage_offset = 0;  // in elements
  std::vector<int64_t> shape;
  std::vector<int64_t> stride;  // in elements
};

struct PickleLimits {
  size_t max_stack = size_t{1} << 20;    // values on the stack
  size_t max_mark_depth = 1000;          // nested MARKs
  size_t max_memo = size_t{1} << 20;     // memo entries
  size_t max_objects = size_t{1} << 20;  // values created in all
  size_t max_string = size_t{1} << 24;   // bytes in one string
  size_t max_rank = 16;                  // dimensions of a tensor
};

// Unpickles a torch state dict: the top-level object must be a dict (or OrderedDict) from
// name to tensor, or a dict whose "state_dict" member is one. Returns its tensors in pickle
// order (a repeated key keeps its first position and its last value). `what` names the
// pickle in errors.
Expected<std::vector<TorchTensorRef>> UnpickleTorchStateDict(const uint8_t* data, size_t size,
                                                             const std::string& what,
                                                             const PickleLimits& limits = {});

}  // namespace tinylm
