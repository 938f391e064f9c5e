#!/usr/bin/env bash
# Makes the EC2 security group ConPaaS VMs run in (the Director also makes it, with the same ports, when
# SECURITY_GROUP_NAME does not exist): every service type's ports (src/Domain/Catalogue/ServiceTypes.cs) open to
# anywhere. Needs the AWS CLI, configured for the region. Usage: ec2-security-group.sh <group name> [vpc id]
set -euo pipefail

NAME="${1:?usage: ec2-security-group.sh <group name> [vpc id]}"
# php/java: 80 443 5555 8000 8080 9000; mysql: 3306 4444 4567 4568; xtreemfs: 32636 32638 32640; all: 443 5555.
PORTS="80 443 3306 4444 4567 4568 5555 8000 8080 9000 32636 32638 32640"

GROUP=$(aws ec2 create-security-group --group-name "$NAME" --description "ConPaaS services" ${2:+--vpc-id "$2"} \
    --query GroupId --output text)
for port in $PORTS; do
    aws ec2 authorize-security-group-ingress --group-id "$GROUP" --protocol tcp --port "$port" --cidr 0.0.0.0/0
done
echo "$GROUP"
