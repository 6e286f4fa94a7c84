#include "corio/detail/frame_allocator.hpp"

#include <doctest/doctest.h>

#include <thread>

TEST_SUITE("frame_allocator") {

    TEST_CASE("a freed frame is reused for the next frame of its size class") {
        using fa = corio::detail::frame_allocator;
        void* a = fa::allocate(100);
        fa::deallocate(a, 100);
        void* b = fa::allocate(120); // same 64-byte class (65..128)
        CHECK(a == b);
        fa::deallocate(b, 120);
    }

    TEST_CASE("the per-thread cache never holds more than its byte limit") {
        using fa = corio::detail::frame_allocator;
        fa::trim();
        constexpr std::size_t n = fa::max_cached_bytes / 2048 + 100;
        static void* blocks[n];
        for (auto& b : blocks) {
            b = fa::allocate(2048);
        }
        for (auto* b : blocks) {
            fa::deallocate(b, 2048);
        }
        CHECK(fa::cached_bytes() <= fa::max_cached_bytes);
        CHECK(fa::cached_bytes() > 0);
        fa::trim();
        CHECK(fa::cached_bytes() == 0);
    }

    TEST_CASE("a frame allocated on one thread may be freed on another" * doctest::test_suite("concurrent")) {
        using fa = corio::detail::frame_allocator;
        void* p = fa::allocate(256);
        std::thread other([p] { fa::deallocate(p, 256); });
        other.join();
        void* q = fa::allocate(256);
        fa::deallocate(q, 256);
        CHECK(true);
    }

} // TEST_SUITE
