// The task-count estimate behind the memory check (task_budget.hpp) against real lowerings: the
// bound of a lone collective and the need of a lowered trace, each counted by lowering it.

#include <catch2/catch.hpp>
#include <string>

#include "sim/config/scenario_loader.hpp"
#include "sim/program/algorithms.hpp"
#include "sim/program/task_budget.hpp"
#include "sim/program/trace_program.hpp"
#include "sim/workload/trace_generator.hpp"

namespace {

using namespace podsim;

const std::string kGood = std::string(PODSIM_TEST_DIR) + "/inputs/good";

double lowered_tasks(const CollectiveSpec& spec, const TorusShape& shape) {
  const Torus torus(shape);
  Program program(torus.chip_count());
  append_collective(program, torus, spec, Frontier(torus.chip_count(), kNoTask), 0);
  return static_cast<double>(program.task_count());
}

}  // namespace

TEST_CASE("the collective task bound covers the lowered program and is tight on rings",
          "[task-budget]") {
  for (const char* shape_text : {"2x2x2", "4x4x4", "2x4x8", "4x2x1"}) {
    const TorusShape shape = parse_shape(shape_text, "shape");
    for (CollectiveKind kind : {CollectiveKind::all_gather, CollectiveKind::reduce_scatter,
                                CollectiveKind::all_reduce, CollectiveKind::all_to_all,
                                CollectiveKind::permute})
      for (const char* axes_text : {"x", "yz", "xyz"})
        for (MultiAxis multi : {MultiAxis::concurrent, MultiAxis::sequential}) {
          CollectiveSpec spec;
          spec.kind = kind;
          spec.axes = parse_axes(axes_text, "axes");
          spec.bytes = 1 << 20;
          spec.multi_axis = multi;
          bool valid = true;
          for (Axis a : spec.axes.axes()) valid = valid && shape.size(a) > 1;
          if (!valid) continue;
          const double actual = lowered_tasks(spec, shape);
          const double bound = collective_task_bound(spec, shape);
          INFO(collective_kind_name(kind) << " over " << axes_text << " on " << shape_text << " ("
                                          << multi_axis_name(multi) << "): lowered " << actual
                                          << " tasks, bound " << bound);
          CHECK(bound >= actual);
          // Exact on wrapped rings and all-to-all; a line (mesh axis) sends less than a ring.
          CHECK(bound <= 2 * actual);
          if (shape.wraps[0] && shape.wraps[1] && shape.wraps[2]) CHECK(bound == actual);
        }
  }
}

TEST_CASE("the replay memory need covers the lowered trace on the exact and fast paths",
          "[task-budget]") {
  const Scenario scenario = config::load_scenario(kGood + "/toy-prefill.yaml");
  const Trace trace = generate_trace(scenario);  // one prefill step: one simulation round
  const Torus torus(scenario.shape);
  for (bool exact : {false, true}) {
    const double actual = static_cast<double>(lower_trace(trace, torus, exact).program.task_count());
    const MemoryNeed need = replay_memory_need(trace, exact);
    INFO((exact ? "exact" : "fast") << ": lowered " << actual << " tasks, estimate " << need.tasks);
    CHECK(need.tasks >= actual);
    CHECK(need.tasks <= 2 * actual);
    CHECK(need.bytes >= need.tasks * kReplayBytesPerTask);
  }
}
