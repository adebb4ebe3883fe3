#!/usr/bin/env python3
"""Creates an IAM user with an allow-everything inline policy and an access key on a
moto_server, and prints "ACCESS_KEY_ID SECRET_ACCESS_KEY". These are the three calls a
server started with INITIAL_NO_AUTH_ACTION_COUNT=3 accepts unsigned; every later request
must be signed with the printed key (moto then checks SigV4 and the policy).

    moto_iam_user.py ENDPOINT_URL [USER_NAME]"""
import json
import sys

import boto3


def main():
    endpoint = sys.argv[1]
    user = sys.argv[2] if len(sys.argv) > 2 else "benchmark-user"
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="all", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    print(key["AccessKeyId"], key["SecretAccessKey"])


if __name__ == "__main__":
    main()
