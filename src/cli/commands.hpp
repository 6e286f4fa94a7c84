#pragma once

// Each subcommand of the `corio` binary registers itself on the CLI11 app; its callback runs the command and
// stores the process exit status in `exit_status`.

#include <CLI/CLI.hpp>

namespace corio::cli {

void add_echo_command(CLI::App& app, int& exit_status);
void add_compare_command(CLI::App& app, int& exit_status);
void add_load_command(CLI::App& app, int& exit_status);
void add_http_command(CLI::App& app, int& exit_status);
/// Runs `corio http` with its default options (what a bare `corio` does). @return the exit status.
int run_default_http();

} // namespace corio::cli
