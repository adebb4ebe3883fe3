#!/usr/bin/env python3
"""Creates, on a moto_server and with the credentials in the environment, the IAM pieces a
Batch compute environment names: a service role and an ECS instance profile. Prints
"SERVICE_ROLE_ARN INSTANCE_PROFILE_ARN".

    moto_batch_roles.py ENDPOINT_URL"""
import json
import sys

import boto3


def main():
    iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "batch.amazonaws.com"},
        "Action": "sts:AssumeRole"}]})
    role = iam.create_role(RoleName="e2e-batch-service", AssumeRolePolicyDocument=trust)
    profile = iam.create_instance_profile(InstanceProfileName="e2e-ecs-instance")
    print(role["Role"]["Arn"], profile["InstanceProfile"]["Arn"])


if __name__ == "__main__":
    main()
