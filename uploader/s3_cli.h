/* Command-line front ends of the S3 client.
 *   monitor_system upload FILE... s3://BUCKET/PREFIX/     -> s3_cli_upload(argc, argv)
 *   orchestrate s3 cp SRC DST [--recursive]                -> s3_cli_main(argc, argv)
 *   orchestrate s3 ls s3://BUCKET/PREFIX
 * argv[0] is the subcommand's own name ("upload", "s3"). Both take --endpoint-url URL,
 * --region R, --profile P, --quiet, --part-size BYTES, --multipart-threshold BYTES,
 * --page-size N (ls), --stall-timeout SECONDS, --checksum crc32|md5|auto (of uploads; auto:
 * crc32 on AWS, md5 on custom endpoints), and the usual AWS environment
 * (AWS_ENDPOINT_URL[_S3], AWS_REGION, credentials). Exit status: 0 all done, 1 something failed (each failure is
 * reported on stderr), 2 usage error. */
#ifndef UPLOADER_S3_CLI_H
#define UPLOADER_S3_CLI_H

int s3_cli_upload(int argc, char **argv);
int s3_cli_main(int argc, char **argv);

#endif
