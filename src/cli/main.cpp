// The corio command line: `corio http`, `corio echo`, `corio load`, `corio compare`.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>

#include "commands.hpp"
#include "corio/version.hpp"

int main(int argc, char** argv) {
    CLI::App app{"corio: C++20 stackless coroutines on Asio: echo and HTTP/1.1 servers, load generator"};
    app.set_version_flag("-V,--version", std::string(corio::version()));
    app.require_subcommand(0, 1);
    int exit_status = 0;
    corio::cli::add_echo_command(app, exit_status);
    corio::cli::add_compare_command(app, exit_status);
    corio::cli::add_load_command(app, exit_status);
    corio::cli::add_http_command(app, exit_status);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }
    if (app.get_subcommands().empty()) {
        // A bare `corio` starts the HTTP server with its defaults (README quick start); --help lists the
        // rest.
        try {
            return corio::cli::run_default_http();
        } catch (const std::exception& e) {
            spdlog::error("{}", e.what());
            return 1;
        }
    }
    return exit_status;
}
