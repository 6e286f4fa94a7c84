#pragma once

// A replaced global operator new that counts calls (defined in counting_new.cpp, a translation unit of its
// own so that the compiler never sees a malloc'd pointer freed through an inlined operator delete).

namespace corio_bench {

/// Global operator new calls so far in this process.
long global_allocations() noexcept;

} // namespace corio_bench
