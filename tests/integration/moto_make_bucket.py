#!/usr/bin/env python3
"""Creates S3 buckets on a moto_server with the credentials in the environment (signed
requests: the server checks them once its unsigned allowance is spent).

    moto_make_bucket.py ENDPOINT_URL BUCKET..."""
import sys

import boto3


def main():
    s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
    for bucket in sys.argv[2:]:
        s3.create_bucket(Bucket=bucket)


if __name__ == "__main__":
    main()
