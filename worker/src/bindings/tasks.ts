// Kind "tasks": pymode.parallel fan-out (docs/abi.md §7); the semantics live in runtime/tasks.ts.

import { HostError, STATUS } from "../runtime/bindings";
import { TaskRunner, runTasks } from "../runtime/tasks";
import { HostKind } from "./kind";

export const tasks: HostKind<TaskRunner> = {
  name: "tasks",
  scope: "host",
  locate(ctx) {
    if (!ctx.tasks) throw new HostError(STATUS.NOT_SUPPORTED, ctx.noTasksReason ?? "this host runs no tasks");
    return ctx.tasks;
  },
  ops: { run: (runner, args, blobs) => runTasks(args, blobs, runner) },
};
