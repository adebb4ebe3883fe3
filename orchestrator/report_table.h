/* The compact ranked table printed on the terminal at the end of `orchestrate run` and
 * `orchestrate report`. Internal to report*.c. */
#ifndef ORCHESTRATOR_REPORT_TABLE_H
#define ORCHESTRATOR_REPORT_TABLE_H

#include <stdio.h>

#include "orchestrator/report_model.h"

void report_table_print(const report_model *m, FILE *out);

#endif
