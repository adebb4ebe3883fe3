/* An AWS Batch array child's replicate and result URL (common/batch_array.c). */
#include <stdlib.h>

#include "common/batch_array.h"
#include "tests/unit/unit.h"

TEST(not_an_array_child)
{
    char *url = NULL;
    int rep = -7;
    CHECK_INT(batch_array_child("s3://b/p/", NULL, "3", "id:3", &url, &rep), 0);
    CHECK_INT(batch_array_child("s3://b/p/", "", "3", "id:3", &url, &rep), 0);
    CHECK(url == NULL);
    CHECK_INT(rep, -7);
}

TEST(aws_array_index)
{
    char *url = NULL;
    int rep = -1;
    CHECK_INT(batch_array_child("s3://b/exp/c5.large/n=1/", "2", "3", "abc:3", &url, &rep), 1);
    CHECK_STR(url, "s3://b/exp/c5.large/n=1/5/");
    CHECK_INT(rep, 5);
    free(url);
    /* AWS_BATCH_JOB_ARRAY_INDEX wins over the job id's suffix */
    CHECK_INT(batch_array_child("/tmp/r", "0", "1", "abc:9", &url, &rep), 1);
    CHECK_STR(url, "/tmp/r/1/");
    free(url);
}

TEST(moto_job_id_suffix)
{
    char *url = NULL;
    int rep = -1;
    CHECK_INT(batch_array_child("s3://b/p/", "0", NULL, "0fdde84c-524f:1", &url, &rep), 1);
    CHECK_STR(url, "s3://b/p/1/");
    CHECK_INT(rep, 1);
    free(url);
}

TEST(malformed)
{
    char *url = NULL;
    int rep = -1;
    CHECK_INT(batch_array_child("s3://b/p/", "x", "1", NULL, &url, &rep), -1);
    CHECK_INT(batch_array_child("s3://b/p/", "0", NULL, "no-suffix", &url, &rep), -1);
    CHECK_INT(batch_array_child("s3://b/p/", "0", "-1", NULL, &url, &rep), -1);
    CHECK_INT(batch_array_child("s3://b/p/", "0", "1x", NULL, &url, &rep), -1);
    CHECK_INT(batch_array_child(NULL, "0", "1", NULL, &url, &rep), -1);
    CHECK_INT(batch_array_child("", "0", "1", NULL, &url, &rep), -1);
    CHECK(url == NULL);
}

int main(void)
{
    RUN(not_an_array_child);
    RUN(aws_array_index);
    RUN(moto_job_id_suffix);
    RUN(malformed);
    return unit_done();
}
