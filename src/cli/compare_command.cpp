#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "corio/models/primitives.hpp"

namespace corio::cli {

namespace {

struct primitives_options {
    int repeats = 5;
    bool quick = false;
};

int run_primitives(const primitives_options& o) {
    models::primitive_options po;
    po.repeats = o.repeats;
    if (o.quick) {
        po.coroutine_iterations = 100'000;
        po.thread_iterations = 300;
        po.process_iterations = 50;
        po.switch_round_trips = 2'000;
        po.memory_sample = 16;
    }
    const auto figures = models::measure_primitives(po);
    std::printf("%s", models::format_primitives(figures).c_str());
    return 0;
}

} // namespace

void add_compare_command(CLI::App& app, int& exit_status) {
    CLI::App* cmd = app.add_subcommand("compare", "Measure coroutines against threads and processes");
    cmd->require_subcommand(1);
    auto popts = std::make_shared<primitives_options>();
    CLI::App* prim = cmd->add_subcommand("primitives", "Create, switch and memory cost of each model's unit");
    prim->add_option("--repeats", popts->repeats, "Runs per figure (the median is printed)")
        ->capture_default_str();
    prim->add_flag("--quick", popts->quick, "Fewer iterations");
    prim->callback([popts, &exit_status] { exit_status = run_primitives(*popts); });
}

} // namespace corio::cli
