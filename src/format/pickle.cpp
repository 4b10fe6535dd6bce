#include "format/pickle.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/byte_reader.h"

namespace tinylm {

size_t TorchDTypeSize(TorchDType dtype) {
  switch (dtype) {
    case TorchDType::F64:
    case TorchDType::I64:
      return 8;
    case TorchDType::F32:
    case TorchDType::I32:
      return 4;
    case TorchDType::F16:
    case TorchDType::BF16:
    case TorchDType::I16:
      return 2;
    case TorchDType::I8:
    case TorchDType::U8:
    case TorchDType::Bool:
      return 1;
  }
  return 1;
}

const char* TorchDTypeName(TorchDType dtype) {
  switch (dtype) {
    case TorchDType::F32:
      return "F32";
    case TorchDType::F16:
      return "F16";
    case TorchDType::BF16:
      return "BF16";
    case TorchDType::F64:
      return "F64";
    case TorchDType::I64:
      return "I64";
    case TorchDType::I32:
      return "I32";
    case TorchDType::I16:
      return "I16";
    case TorchDType::I8:
      return "I8";
    case TorchDType::U8:
      return "U8";
    case TorchDType::Bool:
      return "BOOL";
  }
  return "?";
}

namespace {

// The callables and classes a state dict may name.
enum class Global : uint8_t {
  kOrderedDict,
  kRebuildTensorV2,
  kRebuildParameter,
  kRebuildParameterWithState,
  kStorageClass,  // dtype in Object::dtype
};

struct AllowedGlobal {
  const char* module;
  const char* name;
  Global global;
  TorchDType dtype;
};

constexpr AllowedGlobal kAllowedGlobals[] = {
    {"collections", "OrderedDict", Global::kOrderedDict, TorchDType::U8},
    {"torch._utils", "_rebuild_tensor_v2", Global::kRebuildTensorV2, TorchDType::U8},
    {"torch._utils", "_rebuild_parameter", Global::kRebuildParameter, TorchDType::U8},
    {"torch._utils", "_rebuild_parameter_with_state", Global::kRebuildParameterWithState,
     TorchDType::U8},
    {"torch", "FloatStorage", Global::kStorageClass, TorchDType::F32},
    {"torch", "HalfStorage", Global::kStorageClass, TorchDType::F16},
    {"torch", "BFloat16Storage", Global::kStorageClass, TorchDType::BF16},
    {"torch", "DoubleStorage", Global::kStorageClass, TorchDType::F64},
    {"torch", "LongStorage", Global::kStorageClass, TorchDType::I64},
    {"torch", "IntStorage", Global::kStorageClass, TorchDType::I32},
    {"torch", "ShortStorage", Global::kStorageClass, TorchDType::I16},
    {"torch", "CharStorage", Global::kStorageClass, TorchDType::I8},
    {"torch", "ByteStorage", Global::kStorageClass, TorchDType::U8},
    {"torch", "BoolStorage", Global::kStorageClass, TorchDType::Bool},
    // Untyped storages hold bytes; the tensor's element type is then bytes too.
    {"torch", "UntypedStorage", Global::kStorageClass, TorchDType::U8},
    {"torch.storage", "UntypedStorage", Global::kStorageClass, TorchDType::U8},
};

enum class Kind : uint8_t {
  kNone,
  kBool,
  kInt,
  kFloat,
  kString,
  kBytes,
  kTuple,
  kList,
  kDict,
  kGlobal,
  kStorage,
  kTensor
};

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kBytes:
      return "bytes";
    case Kind::kTuple:
      return "tuple";
    case Kind::kList:
      return "list";
    case Kind::kDict:
      return "dict";
    case Kind::kGlobal:
      return "global";
    case Kind::kStorage:
      return "storage";
    case Kind::kTensor:
      return "tensor";
  }
  return "?";
}

// "an int", "a list", "None": for messages.
std::string AKind(Kind k) {
  if (k == Kind::kNone) return "None";
  if (k == Kind::kInt) return "an int";
  return std::string("a ") + KindName(k);
}

// One unpickled value. Containers hold indices into the object arena, so a value fetched
// from the memo is shared, never copied, and nothing is traversed recursively.
struct Object {
  Kind kind = Kind::kNone;
  Global global = Global::kOrderedDict;  // kGlobal
  TorchDType dtype = TorchDType::U8;     // kGlobal storage classes
  // kBool, kInt: the value; kFloat: the double's bits; kString, kBytes, kGlobal: index in
  // strings_ (a global's is "module.name"); kStorage, kTensor: index in storages_, tensors_.
  int64_t i = 0;
  std::vector<uint32_t> items;  // kTuple, kList; kDict: key0, value0, key1, value1, ...
};

// Pickle opcodes (CPython Lib/pickle.py).
namespace op {
constexpr uint8_t kMark = '(', kStop = '.', kPop = '0', kPopMark = '1', kDup = '2';
constexpr uint8_t kBinInt = 'J', kBinInt1 = 'K', kBinInt2 = 'M', kNone = 'N', kBinPersId = 'Q';
constexpr uint8_t kReduce = 'R', kBinUnicode = 'X', kEmptyList = ']', kAppend = 'a', kBuild = 'b';
constexpr uint8_t kGlobal = 'c', kDict = 'd', kEmptyDict = '}', kAppends = 'e', kBinGet = 'h';
constexpr uint8_t kLongBinGet = 'j', kList = 'l', kBinPut = 'q', kLongBinPut = 'r', kSetItem = 's';
constexpr uint8_t kTuple = 't', kEmptyTuple = ')', kSetItems = 'u', kBinFloat = 'G';
constexpr uint8_t kProto = 0x80, kTuple1 = 0x85, kTuple2 = 0x86, kTuple3 = 0x87;
constexpr uint8_t kNewTrue = 0x88, kNewFalse = 0x89, kLong1 = 0x8a;
constexpr uint8_t kBinBytes = 'B', kShortBinBytes = 'C';
constexpr uint8_t kShortBinUnicode = 0x8c, kBinUnicode8 = 0x8d, kBinBytes8 = 0x8e;
constexpr uint8_t kStackGlobal = 0x93, kMemoize = 0x94, kFrame = 0x95;
}  // namespace op

class Unpickler {
 public:
  Unpickler(const uint8_t* data, size_t size, const std::string& what, const PickleLimits& limits)
      : r_(data, size, what), what_(what), limits_(limits) {
    // Each opcode creates at most one object, so this bounds the arena without regrowth.
    objects_.reserve(std::min(size, limits_.max_objects));
  }

  Expected<std::vector<TorchTensorRef>> Run() {
    TL_ASSIGN_OR_RETURN(const uint32_t root, Execute());
    return ExtractStateDict(root);
  }

 private:
  // ---- errors ----
  Status Fail(const std::string& message) const {
    return Errorf("%s: %s (pickle offset %zu)", what_.c_str(), message.c_str(), op_offset_);
  }

  // ---- the object arena, the stack, marks and memo ----
  Expected<uint32_t> New(Kind kind) {
    if (objects_.size() >= limits_.max_objects) {
      return Fail("pickle creates more than " + std::to_string(limits_.max_objects) + " objects");
    }
    objects_.emplace_back();
    objects_.back().kind = kind;
    return static_cast<uint32_t>(objects_.size() - 1);
  }
  Status Push(uint32_t index) {
    if (stack_.size() >= limits_.max_stack) {
      return Fail("pickle stack grows beyond " + std::to_string(limits_.max_stack) + " values");
    }
    stack_.push_back(index);
    return Status::Ok();
  }
  Status PushNew(Kind kind, uint32_t* index = nullptr) {
    TL_ASSIGN_OR_RETURN(const uint32_t i, New(kind));
    if (index) *index = i;
    return Push(i);
  }
  size_t FrameBase() const { return marks_.empty() ? 0 : marks_.back(); }
  Expected<uint32_t> Pop() {
    if (stack_.size() <= FrameBase()) return Fail("pickle stack underflow");
    const uint32_t v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Expected<uint32_t> Top() {
    if (stack_.size() <= FrameBase()) return Fail("pickle stack underflow");
    return stack_.back();
  }
  // Everything above the most recent MARK, which is removed.
  Expected<std::vector<uint32_t>> PopMark() {
    if (marks_.empty()) return Fail("pickle has no MARK to pop to");
    const size_t base = marks_.back();
    marks_.pop_back();
    std::vector<uint32_t> items(stack_.begin() + static_cast<std::ptrdiff_t>(base), stack_.end());
    stack_.resize(base);
    return items;
  }
  Status MemoPut(uint64_t key) {
    if (stack_.size() <= FrameBase()) return Fail("pickle memoizes from an empty stack");
    if (memo_.size() >= limits_.max_memo && !memo_.count(key)) {
      return Fail("pickle memo grows beyond " + std::to_string(limits_.max_memo) + " entries");
    }
    memo_[key] = stack_.back();
    return Status::Ok();
  }
  Status MemoGet(uint64_t key) {
    auto it = memo_.find(key);
    if (it == memo_.end()) return Fail("pickle memo has no entry " + std::to_string(key));
    return Push(it->second);
  }

  const std::string& Str(const Object& o) const { return strings_[static_cast<size_t>(o.i)]; }
  void SetString(uint32_t index, std::string s) {
    objects_[index].i = static_cast<int64_t>(strings_.size());
    strings_.push_back(std::move(s));
  }

  // ---- reading operands ----
  template <typename T>
  Expected<T> Arg() {
    T v{};
    TL_RETURN_IF_ERROR(r_.Read(&v));
    return v;
  }
  Status PushString(Kind kind, uint64_t length) {
    if (length > limits_.max_string) {
      return Fail("pickle string of " + std::to_string(length) + " bytes exceeds the limit of " +
                  std::to_string(limits_.max_string));
    }
    if (length > r_.remaining()) return Fail("pickle string runs past the end of the pickle");
    uint32_t index = 0;
    TL_RETURN_IF_ERROR(PushNew(kind, &index));
    std::string bytes;
    TL_RETURN_IF_ERROR(r_.ReadString(static_cast<size_t>(length), &bytes));
    SetString(index, std::move(bytes));
    return Status::Ok();
  }
  // A '\n'-terminated line of GLOBAL's operand.
  Expected<std::string> Line() {
    constexpr size_t kMaxLine = 256;
    const uint8_t* start = r_.data() + r_.position();
    const size_t n = std::min(r_.remaining(), kMaxLine + 1);
    const void* nl = std::memchr(start, '\n', n);
    if (!nl) return Fail("GLOBAL operand is not a newline-terminated name of at most 256 bytes");
    std::string line;
    TL_RETURN_IF_ERROR(
        r_.ReadString(static_cast<size_t>(static_cast<const uint8_t*>(nl) - start), &line));
    TL_RETURN_IF_ERROR(r_.Skip(1));
    return line;
  }

  // ---- globals and calls ----
  Status PushGlobal(const std::string& module, const std::string& name) {
    for (const AllowedGlobal& g : kAllowedGlobals) {
      if (module == g.module && name == g.name) {
        uint32_t index = 0;
        TL_RETURN_IF_ERROR(PushNew(Kind::kGlobal, &index));
        objects_[index].global = g.global;
        objects_[index].dtype = g.dtype;
        SetString(index, module + "." + name);
        return Status::Ok();
      }
    }
    return Fail("pickle references disallowed global '" + module + "." + name + "'");
  }

  Expected<int64_t> IntArg(uint32_t index, const char* what) {
    const Object& o = objects_[index];
    if (o.kind != Kind::kInt)
      return Fail(std::string(what) + " is " + AKind(o.kind) + ", not an int");
    return o.i;
  }
  Status IntTuple(uint32_t index, const char* what, std::vector<int64_t>* out) {
    const Object& o = objects_[index];
    if (o.kind != Kind::kTuple)
      return Fail(std::string(what) + " is " + AKind(o.kind) + ", not a tuple");
    if (o.items.size() > limits_.max_rank) {
      return Fail(std::string(what) + " has " + std::to_string(o.items.size()) +
                  " dimensions, more than the limit of " + std::to_string(limits_.max_rank));
    }
    out->clear();
    for (uint32_t item : o.items) {
      TL_ASSIGN_OR_RETURN(const int64_t v, IntArg(item, what));
      out->push_back(v);
    }
    return Status::Ok();
  }

  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[,
  // metadata])
  Status RebuildTensor(const std::vector<uint32_t>& args) {
    if (args.size() != 6 && args.size() != 7) {
      return Fail("_rebuild_tensor_v2 takes 6 or 7 arguments, not " + std::to_string(args.size()));
    }
    const Object& storage = objects_[args[0]];
    if (storage.kind != Kind::kStorage) {
      return Fail("_rebuild_tensor_v2's storage is " + AKind(storage.kind) +
                  ", not a persistent storage");
    }
    TorchTensorRef t;
    t.storage = storages_[static_cast<size_t>(storage.i)];
    TL_ASSIGN_OR_RETURN(t.storage_offset, IntArg(args[1], "tensor storage_offset"));
    TL_RETURN_IF_ERROR(IntTuple(args[2], "tensor size", &t.shape));
    TL_RETURN_IF_ERROR(IntTuple(args[3], "tensor stride", &t.stride));
    if (t.storage_offset < 0) return Fail("tensor storage_offset is negative");
    if (t.shape.size() != t.stride.size()) {
      return Fail("tensor size has " + std::to_string(t.shape.size()) +
                  " dimensions but stride has " + std::to_string(t.stride.size()));
    }
    for (int64_t d : t.shape) {
      if (d < 0) return Fail("tensor size has a negative dimension " + std::to_string(d));
    }
    const Kind grad = objects_[args[4]].kind;
    if (grad != Kind::kBool && grad != Kind::kInt)
      return Fail("tensor requires_grad is not a bool");
    if (objects_[args[5]].kind != Kind::kDict) return Fail("tensor backward_hooks is not a dict");
    uint32_t index = 0;
    TL_RETURN_IF_ERROR(PushNew(Kind::kTensor, &index));
    objects_[index].i = static_cast<int64_t>(tensors_.size());
    tensors_.push_back(std::move(t));
    return Status::Ok();
  }

  Status Reduce() {
    TL_ASSIGN_OR_RETURN(const uint32_t args_index, Pop());
    TL_ASSIGN_OR_RETURN(const uint32_t callable_index, Pop());
    const Object callable = objects_[callable_index];  // a copy: pushing may move objects_
    if (callable.kind != Kind::kGlobal) {
      return Fail("REDUCE applies " + AKind(callable.kind) + ", which is not callable");
    }
    if (objects_[args_index].kind != Kind::kTuple) return Fail("REDUCE arguments are not a tuple");
    const std::vector<uint32_t> args = objects_[args_index].items;
    switch (callable.global) {
      case Global::kOrderedDict:
        if (!args.empty()) return Fail("collections.OrderedDict is called with arguments");
        return PushNew(Kind::kDict);
      case Global::kRebuildTensorV2:
        return RebuildTensor(args);
      case Global::kRebuildParameter:
      case Global::kRebuildParameterWithState: {
        // _rebuild_parameter(data, requires_grad, backward_hooks[, state]): the data tensor.
        const size_t want = callable.global == Global::kRebuildParameter ? 3 : 4;
        if (args.size() != want || objects_[args[0]].kind != Kind::kTensor) {
          return Fail(Str(callable) + " is called with other than (tensor, requires_grad, hooks" +
                      (want == 4 ? ", state)" : ")"));
        }
        return Push(args[0]);
      }
      case Global::kStorageClass:
        break;
    }
    return Fail("pickle calls " + Str(callable) + ", which is only allowed in a persistent id");
  }

  // ('storage', StorageClass, key, location, numel) -> a storage reference.
  Status PersistentLoad() {
    TL_ASSIGN_OR_RETURN(const uint32_t pid_index, Pop());
    const Object& pid = objects_[pid_index];
    const char* shape =
        "a persistent id is not a ('storage', StorageClass, key, location, numel) tuple";
    if (pid.kind != Kind::kTuple || pid.items.size() != 5) return Fail(shape);
    const Object& tag = objects_[pid.items[0]];
    const Object& cls = objects_[pid.items[1]];
    const Object& key = objects_[pid.items[2]];
    const Object& location = objects_[pid.items[3]];
    const Object& numel = objects_[pid.items[4]];
    if (tag.kind != Kind::kString || Str(tag) != "storage" || cls.kind != Kind::kGlobal ||
        cls.global != Global::kStorageClass || key.kind != Kind::kString ||
        location.kind != Kind::kString || numel.kind != Kind::kInt) {
      return Fail(shape);
    }
    if (numel.i < 0) return Fail("storage '" + Str(key) + "' has a negative size");
    TorchStorageRef s;
    s.key = Str(key);
    s.dtype = cls.dtype;
    s.location = Str(location);
    s.numel = numel.i;
    uint32_t index = 0;
    TL_RETURN_IF_ERROR(PushNew(Kind::kStorage, &index));
    objects_[index].i = static_cast<int64_t>(storages_.size());
    storages_.push_back(std::move(s));
    return Status::Ok();
  }

  Status SetItems(uint32_t dict_index, const std::vector<uint32_t>& kv) {
    if (objects_[dict_index].kind != Kind::kDict) {
      return Fail("SETITEM(S) target is " + AKind(objects_[dict_index].kind) + ", not a dict");
    }
    if (kv.size() % 2 != 0) return Fail("SETITEMS has an odd number of keys and values");
    std::vector<uint32_t>& items = objects_[dict_index].items;
    items.insert(items.end(), kv.begin(), kv.end());
    return Status::Ok();
  }
  Status Append(uint32_t list_index, const std::vector<uint32_t>& values) {
    if (objects_[list_index].kind != Kind::kList) {
      return Fail("APPEND(S) target is " + AKind(objects_[list_index].kind) + ", not a list");
    }
    std::vector<uint32_t>& items = objects_[list_index].items;
    items.insert(items.end(), values.begin(), values.end());
    return Status::Ok();
  }
  Status PushContainer(Kind kind, std::vector<uint32_t> items) {
    uint32_t index = 0;
    TL_RETURN_IF_ERROR(PushNew(kind, &index));
    objects_[index].items = std::move(items);
    return Status::Ok();
  }

  // Runs the opcodes up to STOP; returns the pickled object.
  Expected<uint32_t> Execute() {
    while (true) {
      op_offset_ = r_.position();
      uint8_t code = 0;
      if (r_.at_end()) return Fail("pickle ends without a STOP opcode");
      TL_RETURN_IF_ERROR(r_.Read(&code));
      switch (code) {
        case op::kProto: {
          TL_ASSIGN_OR_RETURN(const uint8_t version, Arg<uint8_t>());
          if (version > 5) return Fail("unsupported pickle protocol " + std::to_string(version));
          break;
        }
        case op::kFrame: {
          TL_ASSIGN_OR_RETURN(const uint64_t frame, Arg<uint64_t>());
          if (frame > r_.remaining()) return Fail("pickle FRAME runs past the end of the pickle");
          break;
        }
        case op::kStop:
          return Pop();
        case op::kMark:
          if (marks_.size() >= limits_.max_mark_depth) {
            return Fail("pickle nests MARKs deeper than " + std::to_string(limits_.max_mark_depth));
          }
          marks_.push_back(stack_.size());
          break;
        case op::kPop: {
          if (stack_.size() > FrameBase()) {
            stack_.pop_back();
          } else {
            TL_RETURN_IF_ERROR(PopMark().status());  // POP of an empty frame discards the mark
          }
          break;
        }
        case op::kPopMark:
          TL_RETURN_IF_ERROR(PopMark().status());
          break;
        case op::kDup: {
          TL_ASSIGN_OR_RETURN(const uint32_t top, Top());
          TL_RETURN_IF_ERROR(Push(top));
          break;
        }
        case op::kNone:
          TL_RETURN_IF_ERROR(PushNew(Kind::kNone));
          break;
        case op::kNewTrue:
        case op::kNewFalse: {
          uint32_t index = 0;
          TL_RETURN_IF_ERROR(PushNew(Kind::kBool, &index));
          objects_[index].i = code == op::kNewTrue;
          break;
        }
        case op::kBinInt:
        case op::kBinInt1:
        case op::kBinInt2:
        case op::kLong1: {
          int64_t v = 0;
          if (code == op::kBinInt) {
            TL_ASSIGN_OR_RETURN(const int32_t x, Arg<int32_t>());
            v = x;
          } else if (code == op::kBinInt1) {
            TL_ASSIGN_OR_RETURN(const uint8_t x, Arg<uint8_t>());
            v = x;
          } else if (code == op::kBinInt2) {
            TL_ASSIGN_OR_RETURN(const uint16_t x, Arg<uint16_t>());
            v = x;
          } else {
            // LONG1: n bytes of little-endian two's complement.
            TL_ASSIGN_OR_RETURN(const uint8_t n, Arg<uint8_t>());
            if (n > 8)
              return Fail("pickle integer of " + std::to_string(n) +
                          " bytes does not fit in 64 bits");
            uint8_t bytes[8] = {};
            TL_RETURN_IF_ERROR(r_.ReadBytes(bytes, n));
            uint64_t u = 0;
            for (int b = n - 1; b >= 0; --b) u = u << 8 | bytes[b];
            if (n > 0 && n < 8 && (bytes[n - 1] & 0x80))
              u |= ~uint64_t{0} << (8 * n);  // sign-extend
            v = static_cast<int64_t>(u);
          }
          uint32_t index = 0;
          TL_RETURN_IF_ERROR(PushNew(Kind::kInt, &index));
          objects_[index].i = v;
          break;
        }
        case op::kBinFloat: {
          uint8_t be[8];
          TL_RETURN_IF_ERROR(r_.ReadBytes(be, 8));
          uint64_t u = 0;
          for (uint8_t b : be) u = u << 8 | b;
          uint32_t index = 0;
          TL_RETURN_IF_ERROR(PushNew(Kind::kFloat, &index));
          objects_[index].i = static_cast<int64_t>(u);
          break;
        }
        case op::kBinUnicode: {
          TL_ASSIGN_OR_RETURN(const uint32_t n, Arg<uint32_t>());
          TL_RETURN_IF_ERROR(PushString(Kind::kString, n));
          break;
        }
        case op::kShortBinUnicode: {
          TL_ASSIGN_OR_RETURN(const uint8_t n, Arg<uint8_t>());
          TL_RETURN_IF_ERROR(PushString(Kind::kString, n));
          break;
        }
        case op::kBinUnicode8: {
          TL_ASSIGN_OR_RETURN(const uint64_t n, Arg<uint64_t>());
          TL_RETURN_IF_ERROR(PushString(Kind::kString, n));
          break;
        }
        case op::kBinBytes: {
          TL_ASSIGN_OR_RETURN(const uint32_t n, Arg<uint32_t>());
          TL_RETURN_IF_ERROR(PushString(Kind::kBytes, n));
          break;
        }
        case op::kShortBinBytes: {
          TL_ASSIGN_OR_RETURN(const uint8_t n, Arg<uint8_t>());
          TL_RETURN_IF_ERROR(PushString(Kind::kBytes, n));
          break;
        }
        case op::kBinBytes8: {
          TL_ASSIGN_OR_RETURN(const uint64_t n, Arg<uint64_t>());
          TL_RETURN_IF_ERROR(PushString(Kind::kBytes, n));
          break;
        }
        case op::kEmptyTuple:
          TL_RETURN_IF_ERROR(PushNew(Kind::kTuple));
          break;
        case op::kEmptyList:
          TL_RETURN_IF_ERROR(PushNew(Kind::kList));
          break;
        case op::kEmptyDict:
          TL_RETURN_IF_ERROR(PushNew(Kind::kDict));
          break;
        case op::kTuple: {
          TL_ASSIGN_OR_RETURN(std::vector<uint32_t> items, PopMark());
          TL_RETURN_IF_ERROR(PushContainer(Kind::kTuple, std::move(items)));
          break;
        }
        case op::kTuple1:
        case op::kTuple2:
        case op::kTuple3: {
          const size_t n = static_cast<size_t>(code - op::kTuple1) + 1;
          std::vector<uint32_t> items(n);
          for (size_t k = n; k-- > 0;) {
            TL_ASSIGN_OR_RETURN(items[k], Pop());
          }
          TL_RETURN_IF_ERROR(PushContainer(Kind::kTuple, std::move(items)));
          break;
        }
        case op::kList: {
          TL_ASSIGN_OR_RETURN(std::vector<uint32_t> items, PopMark());
          TL_RETURN_IF_ERROR(PushContainer(Kind::kList, std::move(items)));
          break;
        }
        case op::kDict: {
          TL_ASSIGN_OR_RETURN(std::vector<uint32_t> items, PopMark());
          if (items.size() % 2 != 0) return Fail("DICT has an odd number of keys and values");
          TL_RETURN_IF_ERROR(PushContainer(Kind::kDict, std::move(items)));
          break;
        }
        case op::kAppend: {
          TL_ASSIGN_OR_RETURN(const uint32_t value, Pop());
          TL_ASSIGN_OR_RETURN(const uint32_t list, Top());
          TL_RETURN_IF_ERROR(Append(list, {value}));
          break;
        }
        case op::kAppends: {
          TL_ASSIGN_OR_RETURN(const std::vector<uint32_t> values, PopMark());
          TL_ASSIGN_OR_RETURN(const uint32_t list, Top());
          TL_RETURN_IF_ERROR(Append(list, values));
          break;
        }
        case op::kSetItem: {
          TL_ASSIGN_OR_RETURN(const uint32_t value, Pop());
          TL_ASSIGN_OR_RETURN(const uint32_t key, Pop());
          TL_ASSIGN_OR_RETURN(const uint32_t dict, Top());
          TL_RETURN_IF_ERROR(SetItems(dict, {key, value}));
          break;
        }
        case op::kSetItems: {
          TL_ASSIGN_OR_RETURN(const std::vector<uint32_t> kv, PopMark());
          TL_ASSIGN_OR_RETURN(const uint32_t dict, Top());
          TL_RETURN_IF_ERROR(SetItems(dict, kv));
          break;
        }
        case op::kBinGet: {
          TL_ASSIGN_OR_RETURN(const uint8_t key, Arg<uint8_t>());
          TL_RETURN_IF_ERROR(MemoGet(key));
          break;
        }
        case op::kLongBinGet: {
          TL_ASSIGN_OR_RETURN(const uint32_t key, Arg<uint32_t>());
          TL_RETURN_IF_ERROR(MemoGet(key));
          break;
        }
        case op::kBinPut: {
          TL_ASSIGN_OR_RETURN(const uint8_t key, Arg<uint8_t>());
          TL_RETURN_IF_ERROR(MemoPut(key));
          break;
        }
        case op::kLongBinPut: {
          TL_ASSIGN_OR_RETURN(const uint32_t key, Arg<uint32_t>());
          TL_RETURN_IF_ERROR(MemoPut(key));
          break;
        }
        case op::kMemoize:
          TL_RETURN_IF_ERROR(MemoPut(memo_.size()));
          break;
        case op::kGlobal: {
          TL_ASSIGN_OR_RETURN(const std::string module, Line());
          TL_ASSIGN_OR_RETURN(const std::string name, Line());
          TL_RETURN_IF_ERROR(PushGlobal(module, name));
          break;
        }
        case op::kStackGlobal: {
          TL_ASSIGN_OR_RETURN(const uint32_t name, Pop());
          TL_ASSIGN_OR_RETURN(const uint32_t module, Pop());
          if (objects_[module].kind != Kind::kString || objects_[name].kind != Kind::kString) {
            return Fail("STACK_GLOBAL operands are not strings");
          }
          TL_RETURN_IF_ERROR(PushGlobal(Str(objects_[module]), Str(objects_[name])));
          break;
        }
        case op::kReduce:
          TL_RETURN_IF_ERROR(Reduce());
          break;
        case op::kBinPersId:
          TL_RETURN_IF_ERROR(PersistentLoad());
          break;
        case op::kBuild: {
          // OrderedDict.__reduce__ may BUILD the dict's __dict__ (a state dict's _metadata);
          // setting attributes runs no code here, and the state is simply dropped.
          TL_ASSIGN_OR_RETURN(const uint32_t state, Pop());
          TL_ASSIGN_OR_RETURN(const uint32_t target, Top());
          const Kind sk = objects_[state].kind;
          if (objects_[target].kind != Kind::kDict || (sk != Kind::kDict && sk != Kind::kNone)) {
            return Fail("BUILD on " + AKind(objects_[target].kind) + " with " + AKind(sk) +
                        " state is unsupported");
          }
          break;
        }
        default: {
          const char c = static_cast<char>(code);
          const std::string shown = code >= 0x20 && code < 0x7f ? std::string(" '") + c + "'" : "";
          char hex[8];
          std::snprintf(hex, sizeof hex, "0x%02x", code);
          return Fail(std::string("unsupported pickle opcode ") + hex + shown +
                      " (only the opcodes of a torch state dict are allowed)");
        }
      }
    }
  }

  // ---- the state dict ----
  Expected<std::vector<TorchTensorRef>> ExtractStateDict(uint32_t root) {
    op_offset_ = r_.position();
    const Object* dict = &objects_[root];
    if (dict->kind != Kind::kDict) {
      return Errorf("%s: the pickled object is %s, not a dict of tensors", what_.c_str(),
                    AKind(dict->kind).c_str());
    }
    for (size_t k = 0; k + 1 < dict->items.size(); k += 2) {
      const Object& key = objects_[dict->items[k]];
      const Object& value = objects_[dict->items[k + 1]];
      if (key.kind == Kind::kString && Str(key) == "state_dict" && value.kind == Kind::kDict) {
        dict = &value;
        break;
      }
    }
    std::vector<TorchTensorRef> out;
    std::unordered_map<std::string, size_t> position;
    for (size_t k = 0; k + 1 < dict->items.size(); k += 2) {
      const Object& key = objects_[dict->items[k]];
      const Object& value = objects_[dict->items[k + 1]];
      if (key.kind != Kind::kString) {
        return Errorf("%s: the state dict has %s key; tensor names must be strings", what_.c_str(),
                      AKind(key.kind).c_str());
      }
      if (value.kind != Kind::kTensor) {
        return Errorf("%s: state dict entry '%s' is %s, not a tensor", what_.c_str(),
                      Str(key).c_str(), AKind(value.kind).c_str());
      }
      TorchTensorRef t = tensors_[static_cast<size_t>(value.i)];
      t.name = Str(key);
      auto [it, inserted] = position.emplace(t.name, out.size());
      if (inserted) {
        out.push_back(std::move(t));
      } else {
        out[it->second] = std::move(t);  // as in Python: the last value, the first position
      }
    }
    return out;
  }

  ByteReader r_;
  std::string what_;
  PickleLimits limits_;
  size_t op_offset_ = 0;
  std::vector<Object> objects_;
  std::vector<std::string> strings_;
  std::vector<uint32_t> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, uint32_t> memo_;
  std::vector<TorchStorageRef> storages_;
  std::vector<TorchTensorRef> tensors_;
};

}  // namespace

Expected<std::vector<TorchTensorRef>> UnpickleTorchStateDict(const uint8_t* data, size_t size,
                                                             const std::string& what,
                                                             const PickleLimits& limits) {
  Unpickler unpickler(data, size, what, limits);
  return unpickler.Run();
}

}  // namespace tinylm
