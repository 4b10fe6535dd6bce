# Toolchain of the `wasm` preset (the WebAssembly module of web/): the wasm32-wasi
# toolchain of cmake/wasm32-wasi.cmake, installed first when it is missing (scripts/setup.sh
# --test installs clang-14, lld-14, wasi-libc and libc++ for wasm32 with apt-get; it does
# nothing when they are present).
if(NOT EXISTS /usr/bin/clang-14 OR NOT EXISTS /usr/bin/wasm-ld-14 OR NOT EXISTS /usr/lib/wasm32-wasi/libc.a)
  message(STATUS "wasm: installing the wasm32-wasi toolchain (scripts/setup.sh --test)")
  execute_process(COMMAND ${CMAKE_CURRENT_LIST_DIR}/../scripts/setup.sh --test RESULT_VARIABLE tl_setup_rc)
  if(NOT tl_setup_rc EQUAL 0)
    message(FATAL_ERROR "scripts/setup.sh --test failed; install clang-14, lld-14, wasi-libc and libc++-14-dev-wasm32")
  endif()
endif()
include(${CMAKE_CURRENT_LIST_DIR}/wasm32-wasi.cmake)
