variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name of the deployment: prefixes the VPC, the cluster and the database."
  type        = string
  default     = "agbotkit"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "Use 2 to 31 lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "tags" {
  description = "Tags added to every resource (besides Project and ManagedBy)."
  type        = map(string)
  default     = {}
}

variable "vpc_cidr" {
  description = "Address range of the VPC; the private and public subnets are carved from it."
  type        = string
  default     = "10.0.0.0/16"
}

variable "availability_zone_count" {
  description = "How many availability zones the subnets (and so the nodes and the database) span."
  type        = number
  default     = 3

  validation {
    condition     = var.availability_zone_count >= 2 && var.availability_zone_count <= 4
    error_message = "RDS needs subnets in at least 2 zones; this layout carves at most 4."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (cheaper) instead of one per zone (survives a zone outage)."
  type        = bool
  default     = true
}

variable "kubernetes_version" {
  description = "Kubernetes version of the EKS control plane (deploy/k8s is validated against 1.32 and newer)."
  type        = string
  default     = "1.33"
}

variable "cluster_endpoint_public_access_cidrs" {
  description = "Addresses allowed to reach the cluster's API endpoint from the internet; empty keeps the endpoint private (reach it from inside the VPC)."
  type        = list(string)
  default     = []
}

variable "node_instance_types" {
  description = "EC2 instance types of the managed node group."
  type        = list(string)
  default     = ["t3.large"]
}

variable "node_min_size" {
  description = "Fewest nodes in the managed node group."
  type        = number
  default     = 2
}

variable "node_desired_size" {
  description = "Nodes the managed node group starts with."
  type        = number
  default     = 2
}

variable "node_max_size" {
  description = "Most nodes in the managed node group."
  type        = number
  default     = 4
}

variable "db_engine_version" {
  description = "PostgreSQL major version of the RDS instance."
  type        = string
  default     = "16"
}

variable "db_instance_class" {
  description = "RDS instance class of the database."
  type        = string
  default     = "db.t4g.medium"
}

variable "db_allocated_storage_gb" {
  description = "Initial storage of the database, in GiB."
  type        = number
  default     = 50
}

variable "db_max_allocated_storage_gb" {
  description = "Storage autoscaling ceiling of the database, in GiB (agbotkit's retention keeps growth bounded)."
  type        = number
  default     = 200
}

variable "db_multi_az" {
  description = "A standby replica in a second zone, with automatic failover."
  type        = bool
  default     = true
}

variable "db_backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery window)."
  type        = number
  default     = 14
}

variable "db_deletion_protection" {
  description = "Refuse to delete the database (set false, apply, then destroy, to remove it on purpose)."
  type        = bool
  default     = true
}
