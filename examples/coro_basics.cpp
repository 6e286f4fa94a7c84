// Task basics: lazy coroutines, co_await, exceptions, sync_wait and when_all. The task core needs only the
// standard library; nothing here touches Asio.

#include <cstdio>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "corio/sync_wait.hpp"
#include "corio/task.hpp"
#include "corio/when_all.hpp"

namespace {

corio::task<int> square(int x) {
    co_return x* x;
}

corio::task<int> sum_of_squares(int n) {
    int sum = 0;
    for (int i = 1; i <= n; ++i) {
        const int s = co_await square(i); // bind a co_await result to a local before using it (g++ 12)
        sum += s;
    }
    co_return sum;
}

corio::task<std::string> greet(std::string name) {
    co_return "hello, " + name;
}

corio::task<int> fails() {
    throw std::runtime_error("no answer today");
    co_return 0;
}

corio::task<int> run() {
    // A task does nothing until awaited.
    corio::task<int> lazy = sum_of_squares(10);
    const int total = co_await std::move(lazy);
    std::printf("sum of squares 1..10 = %d\n", total);

    // Several tasks at once: results come back in argument order.
    auto [a, b] = co_await corio::when_all(square(12), greet("corio"));
    std::printf("when_all: %d, %s\n", a, b.c_str());

    // ... or over a range.
    std::vector<corio::task<int>> squares;
    for (int i = 1; i <= 5; ++i) {
        squares.push_back(square(i));
    }
    const std::vector<int> results = co_await corio::when_all(std::move(squares));
    std::printf("when_all over a range:");
    for (int r : results) {
        std::printf(" %d", r);
    }
    std::printf("\n");

    // Exceptions travel to the awaiter, through when_all too (after every child finished).
    try {
        auto both = co_await corio::when_all(square(2), fails());
        (void)both;
    } catch (const std::runtime_error& e) {
        std::printf("caught: %s\n", e.what());
    }
    co_return total == 385 && a == 144 && results.back() == 25 ? 0 : 1;
}

} // namespace

int main() {
    // sync_wait runs a task from ordinary code and blocks until it is done.
    return corio::sync_wait(run());
}
