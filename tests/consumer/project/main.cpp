// Uses the task core (header-only) and one symbol of the static library (corio::version).

#include <corio/sync_wait.hpp>
#include <corio/task.hpp>
#include <corio/version.hpp>
#include <corio/when_all.hpp>

#include <cstdio>
#include <string>

namespace {

corio::task<int> answer() {
    co_return 21;
}

corio::task<int> twice() {
    auto [a, b] = co_await corio::when_all(answer(), answer());
    co_return a + b;
}

} // namespace

int main() {
    const std::string version(corio::version());
    std::printf("corio %s says %d\n", version.c_str(), corio::sync_wait(twice()));
}
