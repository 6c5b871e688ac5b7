#include "sim/program/program.hpp"

#include "sim/core/check.hpp"

namespace podsim {

TaskId ChipProgram::add(Task task, TaskId after) {
  const auto id = static_cast<TaskId>(tasks.size());
  tasks.push_back(std::move(task));
  if (after != kNoTask) depend(after, id);
  return id;
}

void ChipProgram::depend(TaskId after, TaskId task) {
  PODSIM_CHECK(after >= 0 && after < task && task < static_cast<TaskId>(tasks.size()),
               "dependency {} -> {} must point forward", after, task);
  tasks[after].successors.push_back(task);
  ++tasks[task].dependencies;
}

TaskId ChipProgram::join(const std::vector<TaskId>& before) {
  const TaskId id = add(Task{});
  for (TaskId b : before)
    if (b != kNoTask) depend(b, id);
  return id;
}

Program Program::subset(int chip_count, const std::vector<ChipId>& chips) {
  Program program(chip_count);
  program.lowered.assign(chip_count, 0);
  program.relative_order = true;
  for (ChipId c : chips) {
    PODSIM_CHECK(c >= 0 && c < chip_count, "chip {} is not one of the {}", c, chip_count);
    program.lowered[c] = 1;
  }
  PODSIM_CHECK(program.lowered[0] != 0, "a program subset must lower chip 0");
  return program;
}

std::int32_t Program::add_label(std::string label) {
  labels.push_back(std::move(label));
  return static_cast<std::int32_t>(labels.size() - 1);
}

std::int32_t Program::allocate_channels(std::int32_t count) {
  const std::int32_t first = next_channel;
  next_channel += count;
  return first;
}

std::size_t Program::task_count() const {
  std::size_t n = 0;
  for (const auto& chip : chips) n += chip.tasks.size();
  return n;
}

}  // namespace podsim
