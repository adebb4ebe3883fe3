/* The generated table behind instance_types.c (instance_types_table.c). */
#ifndef ORCHESTRATOR_INSTANCE_TYPES_TABLE_H
#define ORCHESTRATOR_INSTANCE_TYPES_TABLE_H

#include <stddef.h>

#include "orchestrator/instance_types.h"

extern const instance_type_info instance_types_table[];
extern const size_t instance_types_table_len;

#endif
