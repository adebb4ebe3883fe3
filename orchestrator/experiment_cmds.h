/* The experiment verbs of `orchestrate` (run, status, kill, report, validate, setup,
 * teardown). Each takes the verb's arguments (argv[0] is the verb) and returns the process
 * exit status: 0 done, 1 error (reported once on stderr), 2 usage, 128+N interrupted by
 * signal N (the jobs keep running; the same command resumes). */
#ifndef ORCHESTRATOR_EXPERIMENT_CMDS_H
#define ORCHESTRATOR_EXPERIMENT_CMDS_H

int cmd_run(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_setup(int argc, char **argv);
int cmd_teardown(int argc, char **argv);

/* The options every experiment verb accepts, for `orchestrate --help`. */
extern const char experiment_cmds_usage[];

#endif
