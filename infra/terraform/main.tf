# agbotkit on AWS: a VPC (vpc.tf), an EKS cluster for deploy/k8s (eks.tf) and a managed
# PostgreSQL for the external-db overlay (rds.tf). See README.md in this folder.

terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80, < 6.0"
    }
  }

  # State holds resource addresses and IDs (no database password: RDS keeps that in
  # Secrets Manager). Keep it in a versioned, encrypted bucket with locking, e.g.:
  #
  # backend "s3" {
  #   bucket       = "my-terraform-state"
  #   key          = "agbotkit/terraform.tfstate"
  #   region       = "eu-west-1"
  #   encrypt      = true
  #   use_lockfile = true
  # }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      Project   = "agbotkit"
      ManagedBy = "terraform"
    })
  }
}

data "aws_availability_zones" "available" {
  # checkov:skip=CKV_AWS_394: the zones are chosen once, when the VPC is created: a zone AWS adds later changes nothing already built (subnets keep their zones), and a plan would show any change before it is applied
  state = "available"
}

locals {
  azs = slice(data.aws_availability_zones.available.names, 0, var.availability_zone_count)
}
