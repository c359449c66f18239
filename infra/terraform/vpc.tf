# The network: private subnets for the nodes and the database, public subnets for the load
# balancer of the ingress controller and the NAT gateway that gives the nodes (and so the
# agbotkit pods allowed to, see deploy/k8s NetworkPolicies) their way to Polymarket.

module "vpc" {
  # checkov:skip=CKV_TF_1: a registry module is pinned by version (~> minor), which the registry serves immutably; a commit hash would bypass the registry
  source  = "terraform-aws-modules/vpc/aws"
  version = "~> 5.16"

  name = var.name
  cidr = var.vpc_cidr
  azs  = local.azs

  private_subnets = [for index, _ in local.azs : cidrsubnet(var.vpc_cidr, 4, index)]
  public_subnets  = [for index, _ in local.azs : cidrsubnet(var.vpc_cidr, 8, 240 + index)]

  enable_nat_gateway   = true
  single_nat_gateway   = var.single_nat_gateway
  enable_dns_hostnames = true
  enable_dns_support   = true

  # Flow logs: who talked to what, for the incident after the one you expected.
  enable_flow_log                                 = true
  create_flow_log_cloudwatch_log_group            = true
  create_flow_log_cloudwatch_iam_role             = true
  flow_log_cloudwatch_log_group_retention_in_days = 30

  # Where the AWS Load Balancer Controller and EKS put load balancers.
  public_subnet_tags = {
    "kubernetes.io/role/elb" = 1
  }
  private_subnet_tags = {
    "kubernetes.io/role/internal-elb" = 1
  }
}
