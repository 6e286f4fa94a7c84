#include "corio/net/latency_histogram.hpp"

#include <doctest/doctest.h>

#include <cstdint>

TEST_CASE("latency histogram percentiles are within 1/32 above the true value and never above the max") {
    corio::net::latency_histogram h;
    for (std::uint64_t v = 1; v <= 100'000; ++v) {
        h.record(v * 1000); // 1 us .. 100 ms, uniform
    }
    CHECK(h.count() == 100'000);
    CHECK(h.max() == 100'000'000);
    CHECK(h.min() == 1000);
    for (const double p : {50.0, 90.0, 99.0, 99.9}) {
        const auto truth = static_cast<double>(p / 100.0 * 100'000 * 1000);
        const auto got = static_cast<double>(h.percentile(p));
        CHECK(got >= truth);
        CHECK(got <= truth * (1.0 + 1.0 / 32) + 1);
    }
    CHECK(h.percentile(100) == h.max());
}

TEST_CASE("latency histogram buckets are contiguous: every bucket's upper bound maps back to it") {
    using h = corio::net::latency_histogram;
    for (std::size_t i = 0; i + 1 < h::bucket_count; ++i) {
        REQUIRE(h::index_of(h::upper_bound_of(i)) == i);
        REQUIRE(h::index_of(h::upper_bound_of(i) + 1) == i + 1);
    }
}

TEST_CASE("merging histograms adds their counts") {
    corio::net::latency_histogram a;
    corio::net::latency_histogram b;
    a.record(10);
    b.record(1'000'000);
    b.record(20);
    a.merge(b);
    CHECK(a.count() == 3);
    CHECK(a.max() == 1'000'000);
    CHECK(a.min() == 10);
    CHECK(a.percentile(50) == 20);
}
