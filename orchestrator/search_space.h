/* The search space: the dimensions a search moves along (workload parameters, the instance
 * type, the node count) and how a point of it is written down and fed to the model.
 *
 * A point is an array of doubles, one per dimension, in "native" units: the value itself
 * for int and float dimensions (ints are whole numbers), the option's index for
 * categorical, ordinal and instance dimensions. The model sees an encoding of it in the
 * unit cube (search_space_encode): logs first for log-scale dimensions, one column per
 * option for categorical ones, and for the instance type its features (vCPUs, memory per
 * vCPU, architecture, generation, GPUs, $/h, family) so that similar types are near;
 * with a node count beside the type, also the cluster's total vCPUs and memory.
 *
 * Ownership: the space owns copies of every name and table; search_space_free() releases
 * them. Errors: functions returning int give 0 or -1 with a message in err. */
#ifndef ORCHESTRATOR_SEARCH_SPACE_H
#define ORCHESTRATOR_SEARCH_SPACE_H

#include <stddef.h>

typedef enum search_dim_kind {
    SDIM_INT = 0,
    SDIM_FLOAT,
    SDIM_CATEGORICAL,   /* unordered options */
    SDIM_ORDINAL,       /* ordered options, encoded by rank */
    SDIM_INSTANCE       /* instance types, encoded by their features */
} search_dim_kind;

/* What the search knows of an instance type. 0 (or NULL) means unknown; unknown numbers
 * are replaced by the median of the known ones when encoding. */
typedef struct search_instance_info {
    char *name;
    double vcpus;
    double memory_gib;
    double gpus;
    double price_per_hour;
    char *arch;          /* "x86_64" | "arm64" */
    char *family;        /* the letters before the generation: "c", "m", "r", "t", "p" */
    int generation;
} search_instance_info;

typedef struct search_dim {
    char *name;
    search_dim_kind kind;
    int log_scale;                 /* int/float: searched on a log scale (lo > 0) */
    double lo, hi;                 /* int/float: inclusive bounds */
    char **labels;                 /* categorical/ordinal/instance: option names */
    size_t n_labels;
    search_instance_info *inst;    /* instance: n_labels entries */
    /* Filled by search_space_finalize(): */
    size_t enc_offset, enc_width;  /* columns of the encoding this dimension occupies */
    double *enc_table;             /* option dims: n_labels rows of enc_width columns */
} search_dim;

/* The whole cluster of a multi-node job (the node count times one instance type): its
 * totals are encoded beside the two dimensions, since a distributed job's speed follows
 * the cluster's vCPUs and memory more than either factor alone. */
typedef struct search_cluster {
    int on;                        /* 1: a node-count and an instance dimension are set */
    size_t type_dim;               /* (the node count is the space's nodes_dim) */
    size_t enc_offset, enc_width;  /* totals' columns: log vCPUs, log memory (after finalize) */
    double lo[2], hi[2];           /* their raw ranges over the space, for scaling */
} search_cluster;

typedef struct search_space {
    search_dim *dims;
    size_t n_dims;
    size_t enc_dims;               /* width of an encoded point (after finalize) */
    int finalized;
    int nodes_dim_set;             /* search_space_set_nodes() was called */
    size_t nodes_dim;
    search_cluster cluster;
} search_space;

void search_space_init(search_space *sp);
void search_space_free(search_space *sp);

int search_space_add_int(search_space *sp, const char *name, double lo, double hi,
                         int log_scale, char *err, size_t errlen);
int search_space_add_float(search_space *sp, const char *name, double lo, double hi,
                           int log_scale, char *err, size_t errlen);
int search_space_add_categorical(search_space *sp, const char *name,
                                 const char *const *labels, size_t n, char *err, size_t errlen);
int search_space_add_ordinal(search_space *sp, const char *name,
                             const char *const *labels, size_t n, char *err, size_t errlen);
/* Copies infos (names and strings included). */
int search_space_add_instance(search_space *sp, const char *name,
                              const search_instance_info *infos, size_t n,
                              char *err, size_t errlen);
/* Marks the integer dimension name as the node count per job (before finalize). */
int search_space_set_nodes(search_space *sp, const char *name, char *err, size_t errlen);
/* Builds the encoding tables; call once after the last add. */
int search_space_finalize(search_space *sp, char *err, size_t errlen);

/* Fills what the name of an EC2 instance type tells (family, generation, architecture, a
 * guess of vCPUs, memory and GPUs from the size and family) when no table knows the type.
 * The strings are heap copies owned by the caller (search_instance_info_clear()).
 * Returns 0, or -1 when name does not look like "family.size". */
int  search_instance_guess(const char *name, search_instance_info *out);
void search_instance_info_clear(search_instance_info *info);

/* What x costs per hour: the price of its instance type (the space's one instance dimension)
 * times its node count (the node dimension, when set). NaN when the space has neither, or
 * more than one instance dimension, or a type without a known price. */
double search_space_price(const search_space *sp, const double *x);
/* 1 when search_space_price() is known for every point of the space. */
int search_space_priced(const search_space *sp);

/* Rounds integer and option dimensions and clamps into bounds, in place. */
void search_space_canonical(const search_space *sp, double *x);
/* 1 when two canonical points are the same configuration. */
int  search_space_equal(const search_space *sp, const double *a, const double *b);
/* Writes the encoding of x (enc_dims doubles in [0, 1]). */
void search_space_encode(const search_space *sp, const double *x, double *enc);
/* Maps one coordinate per dimension from [0, 1) to a canonical native point: uniform
 * (log-uniform on log scales) for numbers, equal shares for options. */
void search_space_from_unit(const search_space *sp, const double *u, double *x);
/* The unit coordinate of a native value on the dimension's (log) scale: 0 at lo, 1 at hi. */
double search_space_to_unit(const search_space *sp, size_t d, double v);
/* Unit coordinates that search_space_from_unit() maps back to the canonical point x (the
 * middle of each value's share for integers and options). */
void search_space_unit_of(const search_space *sp, const double *x, double *u);
/* Number of distinct points, or 0 when a float dimension makes it infinite (or it
 * exceeds 2^53). */
double search_space_size(const search_space *sp);
/* The idx-th point of a finite space in mixed radix, last dimension fastest. */
void search_space_point_at(const search_space *sp, double idx, double *x);
/* Number of values dimension d takes (0 for float). */
double search_dim_cardinality(const search_dim *d);

/* The text of one coordinate as a workload sees it ("12", "0.001", "sync", "c7g.large"). */
void search_space_format_value(const search_space *sp, size_t d, double v, char *buf,
                               size_t len);
/* The inverse: the native value of a text; 0 or -1 when it is not a value of d. */
int  search_space_parse_value(const search_space *sp, size_t d, const char *text, double *v);
/* Index of the dimension named name, or -1. */
int  search_space_find(const search_space *sp, const char *name);

#endif
