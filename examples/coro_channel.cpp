// Producer/consumer over a bounded corio::channel on a two-thread corio::runtime: producers on one worker,
// consumers on the other; close() ends the stream once every producer is done.

#include "corio/runtime/channel.hpp"
#include "corio/runtime/runtime.hpp"
#include "corio/runtime/this_executor.hpp"
#include "corio/task.hpp"
#include "corio/when_all.hpp"

#include <atomic>
#include <cstdio>
#include <optional>
#include <vector>

namespace {

constexpr int producers = 3;
constexpr int items_per_producer = 1000;

corio::task<void> produce(corio::channel<int>& ch, int id) {
    for (int i = 0; i < items_per_producer; ++i) {
        // Suspends (not blocks) while the channel is full.
        const bool sent = co_await ch.send(id * items_per_producer + i);
        if (!sent) {
            co_return; // closed
        }
    }
}

corio::task<long> consume(corio::channel<int>& ch) {
    long sum = 0;
    for (;;) {
        std::optional<int> item = co_await ch.receive(); // std::nullopt once closed and drained
        if (!item) {
            co_return sum;
        }
        sum += *item;
    }
}

corio::task<long> produce_all_then_close(corio::executor ex, corio::channel<int>& ch) {
    co_await corio::switch_to(ex);
    std::vector<corio::task<void>> all;
    for (int id = 0; id < producers; ++id) {
        all.push_back(produce(ch, id));
    }
    co_await corio::when_all(std::move(all));
    ch.close();
    co_return 0;
}

corio::task<long> consume_on(corio::executor ex, corio::channel<int>& ch) {
    co_await corio::switch_to(ex);
    auto [a, b] = co_await corio::when_all(consume(ch), consume(ch));
    co_return a + b;
}

corio::task<long> pipeline(corio::runtime& rt) {
    corio::channel<int> ch(16);
    auto [zero, received] = co_await corio::when_all(produce_all_then_close(rt.get_executor(0), ch),
                                                     consume_on(rt.get_executor(1), ch));
    co_return zero + received;
}

} // namespace

int main() {
    corio::runtime rt(2);
    const long sum = rt.block_on(pipeline(rt));
    const long n = long{producers} * items_per_producer;
    const long expected = n * (n - 1) / 2;
    std::printf("received sum %ld (expected %ld)\n", sum, expected);
    return sum == expected ? 0 : 1;
}
