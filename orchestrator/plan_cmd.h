/* `orchestrate plan CONFIG [--backend local|batch]`: the dry run. Loads and checks the
 * config and prints what `run` would do (instance types, parameter points, every job's
 * command line, or the search's space and budget) without touching a backend, the journal
 * or the output directory. */
#ifndef ORCHESTRATOR_PLAN_CMD_H
#define ORCHESTRATOR_PLAN_CMD_H

/* argv[0] is "plan". Returns the process exit status: 0, 1 (the config or plan is wrong,
 * reported on stderr), 2 (usage). */
int cmd_plan(int argc, char **argv);

#endif
