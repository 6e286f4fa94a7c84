// The corio command line: `corio http`, `corio echo`, `corio load`, `corio compare`.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "corio/version.hpp"

int main(int argc, char** argv) {
    CLI::App app{"corio: C++20 stackless coroutines on Asio: echo and HTTP/1.1 servers, load generator"};
    bool show_version = false;
    app.add_flag("-V,--version", show_version, "Print the version and exit");
    CLI11_PARSE(app, argc, argv);
    std::printf("corio %.*s\n", static_cast<int>(corio::version().size()), corio::version().data());
    return 0;
}
