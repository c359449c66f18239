output "region" {
  description = "AWS region of the deployment."
  value       = var.region
}

output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "Endpoint of the cluster's Kubernetes API."
  value       = module.eks.cluster_endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64 CA certificate of the cluster's API (for a kubeconfig)."
  value       = module.eks.cluster_certificate_authority_data
}

output "configure_kubectl" {
  description = "The command that writes a kubeconfig entry for the cluster."
  value       = "aws eks update-kubeconfig --region ${var.region} --name ${module.eks.cluster_name}"
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.vpc.vpc_id
}

output "private_subnet_cidrs" {
  description = "Address ranges of the private subnets (the database's: the external-db overlay's egress rule)."
  value       = module.vpc.private_subnets_cidr_blocks
}

output "db_address" {
  description = "Host name of the database (AGBOTKIT_DATABASE_URL's host in the external-db overlay)."
  value       = aws_db_instance.agbotkit.address
}

output "db_endpoint" {
  description = "Host and port of the database."
  value       = aws_db_instance.agbotkit.endpoint
}

output "db_port" {
  description = "Port of the database."
  value       = aws_db_instance.agbotkit.port
}

output "db_name" {
  description = "Name of the database agbotkit uses."
  value       = aws_db_instance.agbotkit.db_name
}

output "db_username" {
  description = "The database's master user name."
  value       = aws_db_instance.agbotkit.username
}

output "db_master_user_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the generated master password (copy it into the Kubernetes Secret agbotkit-db)."
  value       = aws_db_instance.agbotkit.master_user_secret[0].secret_arn
}
